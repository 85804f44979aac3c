"""The desk's live inbox and a project's live page, like the API's stream, end with a word when the database
fails under them (newsbridge/delivery/sse.py): the answer has begun, so no error status can be sent; before,
the error escaped into the framework as "response already started". The browser's EventSource reconnects
after the stream's ``retry``. Both databases; the stream is read over raw ASGI (httpx buffers streams)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from newsbridge.delivery.sse import ENDED, until_database_fails
from newsbridge.web.views import desk, project_live
from tests.projects.joint import joint_world
from tests.web.test_project_live import live_events

pytestmark = pytest.mark.anyio


def refused(*args: object, **kwargs: object) -> None:
    raise sa.exc.OperationalError("SELECT ...", {}, Exception("sorry, too many clients already"))


def ended_streams(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.stream for record in caplog.records  # type: ignore[attr-defined]
            if record.getMessage() == "live stream ended: database unavailable"]


async def test_the_desk_stream_ends_with_a_word_when_the_database_fails(app, make_partner, sign_in, monkeypatch,
                                                                        caplog) -> None:
    make_partner("beta")
    editor = await sign_in("beta", "editor")
    monkeypatch.setattr(desk, "changes", refused)
    with caplog.at_level(logging.WARNING):
        status, events = await live_events(app, editor, "/desk/events")
    assert (status, events) == (200, [])
    assert ended_streams(caplog) == ["desk"]


async def test_a_project_page_stream_ends_with_a_word_when_the_database_fails(app, client, make_partner, engine,
                                                                              sign_in, monkeypatch, caplog) -> None:
    world = await joint_world(client, make_partner, engine)
    irna = await sign_in("irna", "editor")
    monkeypatch.setattr(project_live, "_events_after", refused)
    with caplog.at_level(logging.WARNING):
        status, events = await live_events(app, irna, f"/projects/{world.project}/live")
    assert (status, events) == (200, [])
    assert ended_streams(caplog) == ["project"]


async def test_the_wrapper_passes_chunks_on_and_ends_with_the_word() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"id: 1\n\n"
        refused()

    assert [chunk async for chunk in until_database_fails(chunks(), "api")] == [b"id: 1\n\n", ENDED]


async def test_other_errors_are_not_swallowed() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"id: 1\n\n"
        raise ValueError("a bug, not the database")

    with pytest.raises(ValueError):
        [chunk async for chunk in until_database_fails(chunks(), "api")]
