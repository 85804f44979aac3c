"""Roadmaps: an agreement's commitments (the "20 topics"), their owners, status and evidence.

Progress is computed, never stored: done commitments over all that are not dropped.
Changing the roadmap is the parties' daily follow-up and needs no new signatures.

Writers call these inside the transaction that locked the agreement
(``get_agreement(..., for_update=True)``): positions come from the current maximum, and an
evidence list is read, extended and written back, so two processes must take turns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import agreement_events, agreements, commitments, organizations
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow
from newsbridge.items.queries import get_item

MAX_EVIDENCE = 50


class CommitmentStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Commitment:
    id: str
    position: int
    title: str
    owner: str | None  # slug
    due: date | None
    status: CommitmentStatus
    notes: str
    evidence: tuple[dict[str, str], ...]
    updated_at: datetime


@dataclass(frozen=True)
class Progress:
    done: int
    counted: int  # all but dropped
    by_status: dict[str, int]
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 0


def _slug_ids(conn: Connection, party_ids: Sequence[str]) -> dict[str, str]:
    rows = conn.execute(sa.select(organizations.c.slug, organizations.c.id).where(organizations.c.id.in_(party_ids)))
    return {r.slug: r.id for r in rows}


def _evidence(value: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > MAX_EVIDENCE:
        raise InvalidInput(f"evidence must be a list of at most {MAX_EVIDENCE} links", field=field)
    found = []
    for i, entry in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(entry, Mapping) or entry.get("kind") not in ("url", "item", "project"):
            raise InvalidInput("each evidence entry needs kind url, item or project, and ref", field=where)
        ref = entry.get("ref")
        if not isinstance(ref, str) or not ref.strip():
            raise InvalidInput("evidence ref must be a URL or an id", field=f"{where}.ref")
        if entry["kind"] == "url" and urlsplit(ref).scheme not in ("http", "https"):
            raise InvalidInput("an evidence URL must start with http:// or https://", field=f"{where}.ref")
        note = entry.get("note", "")
        found.append({"kind": entry["kind"], "ref": ref.strip(), "note": note if isinstance(note, str) else ""})
    return found


def _values(spec: Mapping[str, Any], slugs: Mapping[str, str], where: str, *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "title" in spec or not partial:
        title = spec.get("title")
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("a commitment needs a title", field=f"{where}.title")
        values["title"] = title.strip()
    if "owner" in spec:
        owner = spec["owner"]
        if owner is not None and (not isinstance(owner, str) or owner not in slugs):
            raise InvalidInput(f"owner must be one of the parties ({', '.join(sorted(slugs))})", field=f"{where}.owner")
        values["owner_id"] = slugs.get(owner) if owner else None
    if "due" in spec:
        try:
            values["due"] = date.fromisoformat(spec["due"]) if spec["due"] else None
        except (TypeError, ValueError):
            raise InvalidInput("due must be a day like 2026-06-30", field=f"{where}.due") from None
    if "status" in spec or not partial:
        status = spec.get("status", "planned")
        if status not in CommitmentStatus.__members__.values():
            raise InvalidInput(f"status must be one of {', '.join(s.value for s in CommitmentStatus)}",
                               field=f"{where}.status")
        values["status"] = status
    if "notes" in spec:
        if not isinstance(spec["notes"], str):
            raise InvalidInput("notes must be text", field=f"{where}.notes")
        values["notes"] = spec["notes"]
    if "evidence" in spec:
        values["evidence"] = _evidence(spec["evidence"], f"{where}.evidence")
    return values


def add_commitments(conn: Connection, agreement_id: str, party_ids: Sequence[str],
                    specs: Sequence[Mapping[str, Any]], viewer: Organization) -> list[Commitment]:
    """Append commitments to an agreement's roadmap (owners are party slugs; item evidence
    must be visible to ``viewer``, the acting organization)."""
    slugs = _slug_ids(conn, party_ids)
    start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(commitments.c.position), 0))
                         .where(commitments.c.agreement_id == agreement_id)).scalar_one()
    ids = []
    for offset, spec in enumerate(specs, start=1):
        if not isinstance(spec, Mapping):
            raise InvalidInput("a commitment must be an object", field=f"roadmap[{offset - 1}]")
        values = {"notes": "", "evidence": [], "owner_id": None, "due": None,
                  **_values(spec, slugs, f"roadmap[{offset - 1}]", partial=False)}
        _check_items(conn, viewer, values["evidence"], f"roadmap[{offset - 1}]")
        commitment_id = new_id()
        conn.execute(commitments.insert().values(id=commitment_id, agreement_id=agreement_id, position=start + offset,
                                                 updated_at=utcnow(), **values))
        ids.append(commitment_id)
    return [c for c in list_commitments(conn, agreement_id) if c.id in ids]


def _check_items(conn: Connection, viewer: Organization, evidence: Sequence[Mapping[str, str]],
                 where: str = "$") -> None:
    for index, entry in enumerate(evidence):
        if entry["kind"] == "item":
            try:
                get_item(conn, viewer, entry["ref"])
            except NotFound:
                raise InvalidInput(f"no item {entry['ref']!r} that your organization can see",
                                   field=f"{where}.evidence[{index}].ref") from None


def update_commitment(conn: Connection, agreement_id: str, party_ids: Sequence[str], commitment_id: str,
                      changes: Any, viewer: Organization, actor: str = "") -> Commitment:
    """Change status, owner, due day, notes, title or evidence of one commitment. A change of
    status is written into the agreement's history too (who moved which commitment, from what to
    what), beside its signatures: the parties follow the roadmap there."""
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidInput("send the fields to change: status, owner, due, notes, title, evidence", field="$")
    unknown = set(changes) - {"title", "owner", "due", "status", "notes", "evidence"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", field=min(unknown))
    values = _values(changes, _slug_ids(conn, party_ids), "$", partial=True)
    _check_items(conn, viewer, values.get("evidence", []))
    before = conn.execute(sa.select(commitments.c.status, commitments.c.title).where(
        commitments.c.id == commitment_id, commitments.c.agreement_id == agreement_id)).first()
    done = conn.execute(commitments.update().where(commitments.c.id == commitment_id,
                                                   commitments.c.agreement_id == agreement_id)
                        .values(updated_at=utcnow(), **values))
    if done.rowcount == 0:
        raise NotFound(f"no commitment {commitment_id!r} in this agreement", field="commitment_id")
    if before is not None and values.get("status", before.status) != before.status:
        status = conn.execute(sa.select(agreements.c.status).where(agreements.c.id == agreement_id)).scalar_one()
        conn.execute(agreement_events.insert().values(
            agreement_id=agreement_id, action="commitment", organization_id=viewer.id, actor=actor or viewer.name,
            from_status=status, to_status=status, at=utcnow(),
            details={"commitment": commitment_id, "title": before.title, "from": before.status,
                     "to": values["status"]}))
    return next(c for c in list_commitments(conn, agreement_id) if c.id == commitment_id)


def list_commitments(conn: Connection, agreement_id: str) -> list[Commitment]:
    owner = organizations.alias("owner")
    rows = conn.execute(sa.select(commitments, owner.c.slug.label("owner_slug"))
                        .outerjoin(owner, owner.c.id == commitments.c.owner_id)
                        .where(commitments.c.agreement_id == agreement_id).order_by(commitments.c.position))
    return [Commitment(r.id, r.position, r.title, r.owner_slug, r.due, CommitmentStatus(r.status), r.notes,
                       tuple(r.evidence or ()), r.updated_at) for r in rows]


def progress(items: Sequence[Commitment], today: date) -> Progress:
    by_status = {s.value: 0 for s in CommitmentStatus}
    for c in items:
        by_status[c.status.value] += 1
    counted = len(items) - by_status["dropped"]
    overdue = sum(1 for c in items if c.due and c.due < today and c.status not in (CommitmentStatus.DONE,
                                                                                     CommitmentStatus.DROPPED))
    return Progress(by_status["done"], counted, by_status, overdue)
