"""The desk without words reads its page, total, unread counts and languages through statements
kept per viewer (and per reader for the unread counts: desk/incoming.py, items/inbox_counts.py).
On both databases, they give what the statements built for each request gave: every filter but
the status, each page by its cursor, in a member's zone; two members of one organization each get
their own unread counts, whichever asked first."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from newsbridge.accounts.members import list_members
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading, writing
from newsbridge.desk.incoming import Filters, conditions, incoming, unread_by_partner
from newsbridge.items.inbox_counts import inbox_total, received_languages
from newsbridge.items.queries import ItemRecord, Received, inbox_page
from tests.web.test_desk_filters import ECONOMY, desk, kazinform, story  # noqa: F401  (fixtures)

pytestmark = pytest.mark.anyio
ZONE = ZoneInfo("Asia/Almaty")


def _entries(pairs: list[tuple[ItemRecord, Received]]) -> list[tuple[str, int, object]]:
    return [(record.id, record.latest.version, how.available_from) for record, how in pairs]


async def test_the_kept_statements_give_what_the_built_ones_gave(desk, client, kazinform, engine) -> None:  # type: ignore[no-untyped-def]
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
    with reading(engine) as conn:
        irna = get_organization(conn, "irna")
        [member] = list_members(conn, "irna")
        for filters, limit in product(combinations, (1, 100)):
            before = expected_before = None
            while True:
                kept = incoming(conn, irna, member, filters, limit=limit, zone=ZONE, before=before)
                where = conditions(conn, irna, member, filters, ZONE)
                built, expected_before = inbox_page(conn, irna, before=expected_before, limit=limit, where=where)
                assert _entries([(row.record, row.received) for row in kept.rows]) == _entries(built), (filters, limit)
                assert kept.next_cursor == expected_before
                # sa.true(): a condition, so the total is counted by the statement built with the joins
                assert (kept.total, kept.total_is_lower_bound) == inbox_total(conn, irna, where=[sa.true(), *where])
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
