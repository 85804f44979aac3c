"""The desk's media form holds the organization's own media file size limit (accounts/media_limit.py), on SQLite
and PostgreSQL: tus-js-client is told it before it starts, and a file sent with the form without JavaScript past
it is refused with nothing kept."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from newsbridge.accounts.media_limit import set_media_limit
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import media

pytestmark = pytest.mark.anyio
MIB = 1024 ** 2


async def test_the_desk_form_without_javascript_holds_the_limit(make_partner, sign_in, engine) -> None:
    make_partner("alpha", scopes=("publish", "read", "manage"))
    with writing(engine) as conn:
        set_media_limit(conn, get_organization(conn, "alpha"), MIB, actor="op@hub.example")
    desk = await sign_in("alpha", "editor")
    form = await desk.get("/outgoing/media")
    assert f'data-max-bytes="{MIB}"' in form.text  # what tus-js-client is told before it starts
    answer = await desk.http.post("/outgoing/media", data={"csrf_token": desk.csrf_token, "headline": "Too big",
                                                           "language": "en"},
                                  files={"file": ("big.jpg", os.urandom(MIB + 1000), "image/jpeg")})
    assert answer.status_code == 413, answer.text
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(media)).scalar_one() == 0
