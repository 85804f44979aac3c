"""The project page's board and timeline filtered by the assignee organization and by language, on both
databases: each filter (and both together) keeps exactly the deliverables it names, on the board and on the
timeline, overdue ones still standing out; the form keeps the choice; a value no participant or language has
shows nothing and is never echoed unescaped."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.api.desk_session import sign_in
from tests.projects.joint import deliverable, joint_world

pytestmark = pytest.mark.anyio
TITLES = {"A": "Episode 1: The caravan roads", "B": "Episode 2: Persian poets", "C": "Episode 3: Kazakh steppe"}


def titles_in(html: str, start: str, end: str) -> set[str]:
    part = html[html.index(start):html.index(end)]
    return {key for key, title in TITLES.items() if f">{title}</a>" in part}


def board(html: str) -> set[str]:
    return titles_in(html, 'id="board-h"', 'id="timeline-h"')


def timeline(html: str) -> set[str]:
    return titles_in(html, 'id="timeline-h"', 'id="plan-h"')


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"A", "B", "C"}),
    ("organization=irna", {"B", "C"}),
    ("organization=krtc", {"A"}),
    ("language=kk", {"A", "C"}),
    ("language=fa", {"A", "B"}),
    ("organization=irna&language=fa", {"B"}),
    ("organization=krtc&language=fa", {"A"}),
    ("organization=tass", set()),  # a party of the agreement, no participant
    ("language=ru", set()),
])
async def test_filters_by_organization_and_language(app, client, make_partner, engine, query, expected) -> None:
    world = await joint_world(client, make_partner, engine)
    await deliverable(client, world, title=TITLES["A"], due="2020-01-10")  # krtc, kk and fa, overdue
    await deliverable(client, world, title=TITLES["B"], assignee="irna", assignee_member="reza@irna.ir",
                      languages=["fa"], due="2099-03-01")
    await deliverable(client, world, title=TITLES["C"], assignee="irna", assignee_member=None, languages=["kk"],
                      due="2099-04-01")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "irna", role="editor")
        page = await desk.get(f"/projects/{world.project}?{query}")
    assert page.status_code == 200
    html = page.text
    if board(html) != expected: print("DBG", html[html.index("id=\"board-h\""):html.index("id=\"timeline-h\"")])
    assert board(html) == timeline(html) == expected
    overdue = re.findall(r'<li class="is-overdue [^"]*">.*?</li>', html, re.S)
    assert len(overdue) == ("A" in expected)  # the late one stands out wherever it is shown
    assert all("Overdue" in li and "⚠" in li for li in overdue)
    for name, value in (p.split("=") for p in query.split("&") if p):
        options = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S)
        assert options and (f'value="{value}" selected' in options[1]) == (value not in ("tass", "ru"))
    assert ("Show all</a>" in html) == bool(query)


async def test_hostile_filter_values_show_nothing_and_are_not_echoed(app, client, make_partner, engine) -> None:
    world = await joint_world(client, make_partner, engine)
    await deliverable(client, world, title=TITLES["A"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        desk = await sign_in(http, engine, "krtc", role="editor")
        for query in ("organization=%3Cscript%3Ealert(1)%3C/script%3E", "language=%22%3E%3Cimg%20src=x%3E",
                      "organization=" + "x" * 5000):
            page = await desk.get(f"/projects/{world.project}?{query}")
            assert page.status_code == 200, query
            assert "<script>alert(1)" not in page.text and '"><img src=x>' not in page.text
            assert board(page.text) == set()
