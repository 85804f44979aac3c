"""Migration 0025 lets a delivery be under no agreement (a joint project's, to a co-producer) without
rebuilding the deliveries table under its webhook messages, and gives published drafts their revision;
on both databases."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.db.engine import reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.project_tables import deliverables, draft_revisions, project_publications, projects
from newsbridge.db.tables import agreements, deliveries, endpoints, item_versions, items, organizations, outbox

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)


def _history(conn: sa.Connection) -> None:
    """An agreement delivery with a webhook message, and a published deliverable with two revisions."""
    for org in ("kazinform", "irna"):
        conn.execute(organizations.insert().values(id=org, slug=org, name=org, languages=[], timezone="UTC",
                                                   credit_name=org, created_at=NOW))
    conn.execute(agreements.insert().values(id="a1", title="A", status="active", terms=[], terms_revision=1,
                                            created_by="kazinform", created_at=NOW, updated_at=NOW))
    conn.execute(items.insert().values(id="i1", organization_id="kazinform", uri="kz-1", latest_version=1,
                                       pubstatus="usable", created_at=NOW, updated_at=NOW))
    conn.execute(item_versions.insert().values(item_id="i1", version=1, content_hash="1", type="text",
                                               pubstatus="usable", language_source="declared", document={},
                                               received_at=NOW))
    delivery_id = conn.execute(deliveries.insert().returning(deliveries.c.id).values(item_id="i1", version=1, recipient_id="irna", agreement_id="a1",
                                            reason="r", credit_line="c", usage_terms="u", available_from=NOW,
                                            event="item.published", created_at=NOW, arrives_at=NOW)).scalar_one()
    conn.execute(endpoints.insert().values(id="e1", organization_id="irna", url="https://irna.example/hook",
                                           events=["item.published"], ninjs_version="3", format="ninjs3",
                                           secret="s", enabled=True, created_at=NOW))
    conn.execute(outbox.insert().values(endpoint_id="e1", delivery_id=delivery_id, event="item.published",
                                        message_id="m1",
                                        state="pending", attempts=0, next_attempt_at=NOW, created_at=NOW))
    conn.execute(projects.insert().values(id="p1", title="P", description="", agreement_id=None,
                                          lead_id="kazinform", languages=["kk"], status="active",
                                          share_with_partners=False, created_by="kazinform", created_at=NOW,
                                          updated_at=NOW))
    conn.execute(deliverables.insert().values(id="d1", project_id="p1", title="D", kind="article", languages=["kk"],
                                              source_language="kk", status="published", created_at=NOW,
                                              updated_at=NOW))
    for number in (1, 2):
        conn.execute(draft_revisions.insert().values(
            deliverable_id="d1", language="kk", number=number, headline="h", lead="", body_html="", shot_list=[],
            media=[], organization_id="kazinform", author="a", created_at=NOW))
    conn.execute(project_publications.insert().values(deliverable_id="d1", language="kk", item_id="i1", version=1,
                                                      published_at=NOW))


def test_deliveries_under_no_agreement_after_0025_with_messages_kept(fresh_engine: Engine) -> None:
    upgrade(fresh_engine, "0024")
    with writing(fresh_engine) as conn:
        _history(conn)
    upgrade(fresh_engine)
    with writing(fresh_engine) as conn:  # a co-producer's delivery: no agreement, the project
        conn.execute(deliveries.insert().values(item_id="i1", version=1, recipient_id="kazinform", agreement_id=None,
                                                project_id="p1", reason="joint", credit_line="c", usage_terms="u",
                                                available_from=NOW, event="item.published", created_at=NOW,
                                                arrives_at=NOW))
    with reading(fresh_engine) as conn:
        rows = conn.execute(sa.select(deliveries.c.agreement_id, deliveries.c.project_id)
                            .order_by(deliveries.c.id)).all()
        assert [tuple(r) for r in rows] == [("a1", None), (None, "p1")]
        first = conn.execute(sa.select(sa.func.min(deliveries.c.id))).scalar_one()
        assert conn.execute(sa.select(outbox.c.delivery_id)).scalars().all() == [first]
        published = conn.execute(sa.select(project_publications.c.revision, project_publications.c.corrected_at)).one()
        assert tuple(published) == (2, None)  # the newest revision: the drafts closed at publication
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with writing(fresh_engine) as conn:  # the foreign key on the new column holds
        try:
            with conn.begin_nested():
                conn.execute(deliveries.update().where(deliveries.c.project_id == "p1").values(project_id="nope"))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a delivery named a project that does not exist")
