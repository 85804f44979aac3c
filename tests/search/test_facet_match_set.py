"""The facets' set-based match set (desk/search.py ``visible_matches``) finds exactly what the
inbox's per-row rule finds (items.queries: the newest available version delivered to the viewer
or its holding; withdrawn and embargoed items left out), on both databases, over corrections,
a withdrawal, an embargo, a holding's delivery and another recipient's items."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newsbridge.accounts.organizations import create_organization, get_organization
from newsbridge.db.tables import deliveries, item_versions
from newsbridge.desk.hits import hit_ids, listed_versions
from newsbridge.desk.matches import visible_matches
from newsbridge.desk.search import SearchFilters, facet_counts
from newsbridge.ids import utcnow
from newsbridge.items.queries import _inbox_page
from newsbridge.items.search import matching_versions
from newsbridge.search.query import parse
from tests.search.test_search_api import MANAGE, agree, publish, story

pytestmark = pytest.mark.anyio


def both_ways(engine, slug: str, q: str | None) -> tuple[set, set]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        viewer = get_organization(conn, slug)
        now = utcnow()
        among = matching_versions(conn.dialect.name, q) if q else None
        per_row = _inbox_page(viewer, now, among).add_columns(item_versions.c.item_id, item_versions.c.version)
        rows = {(r.item_id, r.version) for r in conn.execute(per_row)}
        sets = {(r.item_id, r.version) for r in conn.execute(visible_matches(viewer, now, among, [], conn.dialect.name))}
    return rows, sets


async def test_the_match_set_is_the_inbox_rule(client, engine, make_partner) -> None:
    alpha, beta, gamma = (make_partner(s, scopes=MANAGE) for s in ("alpha", "beta", "gamma"))
    with engine.begin() as conn:  # beta's outlet reads what beta (its holding) receives
        create_organization(conn, "beta-outlet", "Beta Outlet", parent="beta")
    await agree(client, alpha, beta)
    await agree(client, gamma, alpha)
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    docs = [story(f"urn:a:{n}", "en", f"Caspian shipping {n}", "Ferries cross the Caspian sea.") for n in range(5)]
    for doc in docs:
        await publish(client, alpha, doc)
    await publish(client, alpha, {**docs[1], "version": "2", "language": "ru",  # corrected: no longer matches
                                  "headlines": [{"role": "main", "value": "Паромы"}],
                                  "bodies": [{"role": "main", "contentType": "text/plain", "value": "Паромы"}]})
    await publish(client, alpha, {**docs[2], "version": "2", "type": "text",  # corrected: still matches
                                  "headlines": [{"role": "main", "value": "Caspian shipping resumes"}]})
    await publish(client, alpha, {**docs[3], "version": "2", "pubStatus": "canceled"})  # withdrawn
    await publish(client, alpha, story("urn:a:later", "en", "Caspian ports", "Caspian", embargoedUntil=tomorrow))
    await publish(client, gamma, story("urn:g:0", "en", "Caspian caviar", "Caspian"))  # to alpha, not beta
    for slug in ("beta", "beta-outlet", "alpha", "gamma"):
        for q in ("caspian", "паромы", '"caspian shipping"', None):
            rows, sets = both_ways(engine, slug, q)
            assert rows == sets, (slug, q)
    rows, _ = both_ways(engine, "beta", "caspian")
    assert len(rows) == 4  # 0, 1 (its first version matched), 2, 4; not the withdrawn 3, not the embargoed


async def test_postgresqls_form_reads_the_same_rows_with_filters(client, engine, make_partner) -> None:
    """On PostgreSQL ``visible_matches`` over hits reads each item's deliveries once (window
    functions) and joins the newest delivery by id; the general form (SQLite's, portable SQL) and it
    give the same rows, columns and all, with the arrival filters on the newest delivery, over a
    correction, a withdrawal, an embargo, a holding that receives the same version as its outlet's
    parent and another recipient's items."""
    alpha, beta, gamma = (make_partner(s, scopes=MANAGE) for s in ("alpha", "beta", "gamma"))
    outlet = make_partner("beta-outlet", scopes=MANAGE, parent="beta")
    await agree(client, alpha, beta)
    await agree(client, alpha, outlet)  # the outlet receives alpha's items itself too: two deliveries a version
    await agree(client, gamma, alpha)
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    docs = [story(f"urn:a:{n}", "en" if n % 2 else "ru", f"Caspian shipping {n}", "Ferries cross the Caspian sea.")
            for n in range(4)]
    for doc in docs:
        await publish(client, alpha, doc)
    await publish(client, alpha, {**docs[1], "version": "2", "headlines": [{"role": "main", "value": "Паромы"}],
                                  "bodies": [{"role": "main", "contentType": "text/plain", "value": "Паромы"}]})
    await publish(client, alpha, {**docs[2], "version": "2", "pubStatus": "canceled"})
    await publish(client, alpha, {**docs[3], "version": "2", "language": "kk", "type": "picture",  # corrected: no
                                  "headlines": [{"role": "main", "value": "Паромдар"}],  # longer a hit, nor English
                                  "bodies": [{"role": "main", "contentType": "text/plain", "value": "Паромдар"}]})
    await publish(client, alpha, story("urn:a:later", "en", "Caspian ports", "Caspian", embargoedUntil=tomorrow))
    # received without the word; the version that holds it is under embargo: not a match yet
    await publish(client, alpha, story("urn:a:next", "en", "Ferries", "Ferries sail."))
    await publish(client, alpha, {**story("urn:a:next", "en", "Caspian ferries", "Caspian"), "version": "2",
                                  "embargoedUntil": tomorrow})
    await publish(client, gamma, story("urn:g:0", "en", "Caspian caviar", "Caspian"))
    now = utcnow()
    filters = {"none": [], "since": [deliveries.c.available_from >= now - timedelta(days=1)],
               "until": [deliveries.c.available_from < now - timedelta(days=1)]}
    found = 0
    with engine.connect() as conn:
        for slug in ("beta", "beta-outlet", "alpha", "gamma"):
            viewer = get_organization(conn, slug)
            for q in ("caspian", "паромы", '"caspian shipping"'):
                among = matching_versions(conn.dialect.name, q)
                for name, where in filters.items():
                    general = set(conn.execute(visible_matches(viewer, now, among, where, "sqlite")))
                    assert set(conn.execute(visible_matches(viewer, now, among, where, conn.dialect.name))) == general, \
                        (slug, q, name)
                    if name == "until":
                        assert general == set()
                    found += len(general)
                # the facets, from the statement kept per viewer (hit rows' language and type, looked
                # up when the newest version is not a hit) and from the general form
                hits = list(conn.execute(hit_ids(conn.dialect.name, parse(q))).scalars())
                for chosen in (SearchFilters(q=q), SearchFilters(q=q, since=now - timedelta(days=1)),
                               SearchFilters(q=q, language="kk"), SearchFilters(q=q, type="picture")):
                    counted = listed_versions(conn.dialect.name, hits)
                    assert facet_counts(conn, viewer, chosen, counted, among_ids=hits) == \
                        facet_counts(conn, viewer, chosen, counted), (slug, q, chosen)
    assert found > 0
    with engine.connect() as conn:  # the corrected item is counted as the Kazakh picture it now is
        hits = list(conn.execute(hit_ids(conn.dialect.name, parse("caspian"))).scalars())
        counts = facet_counts(conn, get_organization(conn, "beta"), SearchFilters(q="caspian"),
                              listed_versions(conn.dialect.name, hits), among_ids=hits)
        assert {v.value: v.count for v in counts["language"]}["kk"] == 1
        assert {v.value: v.count for v in counts["type"]}["picture"] == 1
