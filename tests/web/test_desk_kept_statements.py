"""The desk reads its page and total through the search API's statements kept per viewer (its
search box as the API's search, desk/search.py), and without words its unread counts and
languages through statements kept per viewer and reader (items/inbox_counts.py). On both
databases, they give what the statements built for each request gave: every filter but the
status, words and phrases (read by their hits, and walked as a broad query is), each page by its
cursor, in a member's zone; two members of one organization each get their own unread counts,
whichever asked first."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from newsbridge.accounts.members import list_members
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.desk import search as desk_search
from newsbridge.desk.incoming import Filters, conditions, incoming, unread_by_partner
from newsbridge.desk.search import count_matches, plan
from newsbridge.items.inbox_counts import inbox_total, received_languages
from newsbridge.items.queries import InboxCursor, ItemRecord, Received, inbox_page
from newsbridge.search.query import parse
from tests.databases import generic_plans
from tests.web.test_desk_filters import ECONOMY, desk, kazinform, story  # noqa: F401  (fixtures)

pytestmark = pytest.mark.anyio
ZONE = ZoneInfo("Asia/Almaty")


def _entries(pairs: list[tuple[ItemRecord, Received]]) -> list[tuple[str, int, object]]:
    return [(record.id, record.latest.version, how.available_from) for record, how in pairs]


def _built(conn, irna, member, filters: Filters, limit: int,  # type: ignore[no-untyped-def]
           before: InboxCursor | None):
    """A page, its next cursor and its total by the statements the desk built for each request."""
    where = conditions(conn, irna, member, filters, ZONE)
    query = parse(filters.q)
    if not query:  # sa.true(): a condition, so the total is counted by the statement built with the joins
        return (*inbox_page(conn, irna, before=before, limit=limit, where=where),
                inbox_total(conn, irna, where=[sa.true(), *where]))
    found = plan(conn, irna, query)
    if found is None:
        return [], None, (0, False)
    page, next_cursor = inbox_page(conn, irna, before=before, limit=limit, where=[*where, *found.where],
                                   among=found.among, chosen=found.chosen)
    return page, next_cursor, (count_matches(conn, irna, found.counted, where), found.capped)


WALKED = 2  # BROAD lowered: a query in two versions or more walks the inbox, as a broad one does


@pytest.mark.parametrize("broad", [desk_search.BROAD, WALKED])
async def test_the_kept_statements_give_what_the_built_ones_gave(desk, client, kazinform, engine, monkeypatch,
                                                                 broad) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(desk_search, "BROAD", broad)  # type: ignore[no-untyped-def]
    corrected = story("kz-2", "Казахстан и Иран подписали соглашение (обновлено)", "Исправленный текст.", "ru",
                      ECONOMY)
    assert (await client.post("/api/v1/items", json=corrected, headers=kazinform.headers)).status_code in (200, 201)
    with writing(engine) as conn:  # the Persian story arrived ten days ago
        conn.execute(sa.text("UPDATE deliveries SET available_from = available_from - :ten, "
                             "arrives_at = arrives_at - :ten "
                             "WHERE item_id IN (SELECT id FROM items WHERE uri = 'kz-3')")
                     .bindparams(ten=timedelta(days=10)) if engine.dialect.name == "postgresql" else
                     sa.text("UPDATE deliveries SET available_from = datetime(available_from, '-10 days'), "
                             "arrives_at = datetime(arrives_at, '-10 days') "
                             "WHERE item_id IN (SELECT id FROM items WHERE uri = 'kz-3')"))
    today = date.today()
    combinations = [Filters(partner=partner, language=language, topic=topic, since=since, until=until)
                    for partner, language, topic, since, until in product(
                        (None, "kazinform", "ria"), (None, "en", "ru"), (None, "medtop:04000000"),
                        (None, today - timedelta(days=2)), (None, today - timedelta(days=5), today))]
    searches = [Filters(q=q, partner=partner, language=language, topic=topic)
                for q, partner, language, topic in product(
                    ("budget", "Kazakhstan", '"Казахстан и Иран"', "nowhere"), (None, "kazinform"),
                    (None, "en", "ru"), (None, "medtop:04000000"))]
    with reading(engine) as conn:
        irna = get_organization(conn, "irna")
        [member] = list_members(conn, "irna")
        for filters, limit in product(searches if broad == WALKED else combinations + searches, (1, 100)):
            before = expected_before = None
            while True:
                kept = incoming(conn, irna, member, filters, limit=limit, zone=ZONE, before=before)
                built, expected_before, total = _built(conn, irna, member, filters, limit, expected_before)
                assert _entries([(row.record, row.received) for row in kept.rows]) == _entries(built), (filters, limit)
                assert kept.next_cursor == expected_before
                assert (kept.total, kept.total_is_lower_bound) == total, (filters, limit)
                if kept.next_cursor is None:
                    break
                before = kept.next_cursor
        assert received_languages(conn, irna) == ["en", "fa", "ru"]


async def test_each_member_gets_their_own_unread_counts(desk, engine, sign_in) -> None:  # type: ignore[no-untyped-def]
    reader = await sign_in("irna", "editor")
    with reading(engine) as conn:
        irna = get_organization(conn, "irna")
        editor, other = sorted(list_members(conn, "irna"), key=lambda m: m.id != desk.member.id)
        assert unread_by_partner(conn, irna, editor) == ([("kazinform", "Kazinform", 4)], False)
        items = [record.id for record, _how in inbox_page(conn, irna, limit=2)[0]]
    for item_id in items:  # the second member reads two items
        assert (await reader.http.get(f"/items/{item_id}")).status_code == 200
    with reading(engine) as conn:
        assert unread_by_partner(conn, irna, other) == ([("kazinform", "Kazinform", 2)], False)
        assert unread_by_partner(conn, irna, editor) == ([("kazinform", "Kazinform", 4)], False)


async def test_on_postgresql_the_desks_statements_are_planned_for_their_parameters(desk, engine) -> None:  # type: ignore[no-untyped-def]
    """psycopg prepares a statement a connection ran 5 times, and PostgreSQL may then keep a generic plan for
    it: the desk's first page (its kept statement) went from 27 to 870-1,140 ms from about the 10th request on
    a connection, at 20,000 items (bench/desk_page.py, 2026-12-07). Here the session even asks for generic
    plans; the desk's reading must plan each statement for its parameters, and the page must still be right."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    with reading(engine) as conn:
        irna = get_organization(conn, "irna")
        with generic_plans(conn):
            pages = [incoming(conn, irna, desk.member, Filters(), limit=2) for _ in range(12)]
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar_one() == "force_custom_plan"
    assert len({tuple(r.record.id for r in page.rows) for page in pages}) == 1 and len(pages[0].rows) == 2
