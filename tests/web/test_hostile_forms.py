"""Desk forms and filters an attacker fills to find a 500, and pages that need no inline script."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
def alpha(make_partner):  # type: ignore[no-untyped-def]
    return make_partner("alpha", name="Alpha News")


async def test_a_desk_day_at_the_calendars_end_is_read_as_no_end(sign_in, alpha) -> None:
    desk = await sign_in("alpha")
    for query in ("until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31"):
        response = await desk.get(f"/desk?{query}")
        assert response.status_code == 200, (query, response.text[:300])


async def test_a_form_with_a_nul_character_is_refused(sign_in, alpha) -> None:
    desk = await sign_in("alpha")
    response = await desk.post("/account/preferences", {"locale": "en\x00", "timezone": "UTC"})
    assert response.status_code == 422
    assert "NUL" in response.text



async def test_pages_hold_no_inline_script_or_style(sign_in, alpha) -> None:
    desk = await sign_in("alpha")
    for path in ("/desk", "/agreements", "/partners", "/outgoing", "/account", "/agreements/new"):
        text = (await desk.get(path)).text
        assert "<script>" not in text and " style=" not in text and " onclick=" not in text, path
