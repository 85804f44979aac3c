"""Roadmaps: an agreement's commitments (the "20 topics"), their owners, status and evidence.

Progress is computed, never stored: done commitments over all that are not dropped.
Changing the roadmap is the parties' daily follow-up and needs no new signatures.

A commitment may carry an **indicator** the hub measures itself (items per period from one
party to another, a Media Topic every month, a pickup rate, joint-project deliverables):
``parse_indicator`` checks it here, metrics/indicators.py measures it. The hub then moves its
status (done, in progress); *blocked* and *dropped* stay the parties' call.

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
from newsbridge.vocab.mediatopics import normalize_qcode

MAX_EVIDENCE = 50
INDICATOR_KINDS = ("items_per_period", "topic_every_month", "pickup_rate", "deliverables")
PERIODS = ("day", "week", "month")
MAX_COUNT = 100_000
MAX_WEEKS = 52
MANUAL_ON_MEASURED = ("blocked", "dropped", "in_progress")  # what people may still set on a measured commitment


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
    indicator: Mapping[str, Any] | None = None  # as the API shows it (party slugs); None: followed by hand
    measure: Mapping[str, Any] | None = None  # the last measurement (metrics/indicators.py)
    measured_at: datetime | None = None


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


def _count(value: Any, field: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise InvalidInput(f"{field} must be a whole number of {what} from 1 to {MAX_COUNT}", field=field)
    return value


def _direction(raw: Mapping[str, Any], slugs: Mapping[str, str], where: str, required: bool) -> dict[str, Any]:
    source, recipient = raw.get("from"), raw.get("to")
    if source is None and recipient is None and not required:
        return {"from": None, "to": None}
    for name, value in (("from", source), ("to", recipient)):
        if not isinstance(value, str) or value not in slugs:
            raise InvalidInput(f"{where}.{name} must be one of the parties ({', '.join(sorted(slugs))})"
                               + ("" if required else ", or leave out both from and to for any direction"),
                               field=f"{where}.{name}")
    if source == recipient:
        raise InvalidInput("from and to must be two different parties", field=f"{where}.to")
    return {"from": slugs[source], "to": slugs[recipient]}


def parse_indicator(raw: Any, slugs: Mapping[str, str], where: str) -> dict[str, Any] | None:
    """Check an indicator as sent (party slugs) and resolve it to organization ids; None removes it.

    * ``{"kind": "items_per_period", "from", "to", "at_least": N, "per": "day|week|month"}``
    * ``{"kind": "topic_every_month", "topic": qcode, "at_least": N (1), "from"/"to" (optional)}``
    * ``{"kind": "pickup_rate", "at_least": 0.1, "weeks": N (4), "from"/"to" (optional)}``
    * ``{"kind": "deliverables", "at_least": N, "by": "YYYY-MM-DD", "projects": [ids] (optional: all the
      agreement's joint projects)}``
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or raw.get("kind") not in INDICATOR_KINDS:
        raise InvalidInput(f"an indicator is an object whose kind is one of {', '.join(INDICATOR_KINDS)}",
                           field=f"{where}.kind")
    kind = raw["kind"]
    allowed = {"items_per_period": {"from", "to", "at_least", "per"},
               "topic_every_month": {"topic", "at_least", "from", "to"},
               "pickup_rate": {"at_least", "weeks", "from", "to"},
               "deliverables": {"at_least", "by", "projects"}}[kind] | {"kind"}
    if unknown := set(raw) - allowed:
        raise InvalidInput(f"a {kind} indicator has no field {min(unknown)!r}; it takes "
                           f"{', '.join(sorted(allowed - {'kind'}))}", field=f"{where}.{min(unknown)}")
    found: dict[str, Any] = {"kind": kind}
    if kind == "items_per_period":
        found.update(_direction(raw, slugs, where, required=True))
        found["at_least"] = _count(raw.get("at_least"), f"{where}.at_least", "items")
        if raw.get("per") not in PERIODS:
            raise InvalidInput("per must be day, week or month", field=f"{where}.per")
        found["per"] = raw["per"]
    elif kind == "topic_every_month":
        qcode = normalize_qcode(raw["topic"]) if isinstance(raw.get("topic"), str) else None
        if qcode is None:
            raise InvalidInput("topic must be an IPTC Media Topic, like medtop:04000000 (economy)",
                               field=f"{where}.topic")
        found.update(topic=qcode, at_least=_count(raw.get("at_least", 1), f"{where}.at_least", "items"),
                     **_direction(raw, slugs, where, required=False))
    elif kind == "pickup_rate":
        rate = raw.get("at_least")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise InvalidInput("at_least must be a share above 0 and at most 1, like 0.1 for one in ten",
                               field=f"{where}.at_least")
        weeks = raw.get("weeks", 4)
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
            raise InvalidInput(f"weeks must be a whole number from 1 to {MAX_WEEKS}", field=f"{where}.weeks")
        found.update(at_least=float(rate), weeks=weeks, **_direction(raw, slugs, where, required=False))
    else:
        found["at_least"] = _count(raw.get("at_least"), f"{where}.at_least", "deliverables")
        try:
            found["by"] = date.fromisoformat(raw["by"]).isoformat()
        except (KeyError, TypeError, ValueError):
            raise InvalidInput("by must be a day like 2026-12-31", field=f"{where}.by") from None
        if "projects" in raw:
            named = raw["projects"]
            if not isinstance(named, list) or not named or not all(isinstance(p, str) and p for p in named):
                raise InvalidInput("projects lists the ids of the agreement's joint projects that are the evidence",
                                   field=f"{where}.projects")
            found["projects"] = list(dict.fromkeys(named))
    return found


def _measured(value: Any) -> bool:
    return isinstance(value, Mapping)


def indicator_json(stored: Mapping[str, Any] | None, slug_of: Mapping[str, str]) -> dict[str, Any] | None:
    """A stored indicator as people read it: party slugs instead of ids."""
    if stored is None:
        return None
    return {k: (slug_of.get(v, v) if k in ("from", "to") and v else v) for k, v in stored.items()}


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
    if "indicator" in spec:
        # SQL NULL, not JSON null, for "followed by hand": the worker looks for indicators IS NOT NULL
        values["indicator"] = parse_indicator(spec["indicator"], slugs, f"{where}.indicator") or sa.null()
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
        values = {"notes": "", "evidence": [], "owner_id": None, "due": None, "indicator": sa.null(),
                  **_values(spec, slugs, f"roadmap[{offset - 1}]", partial=False)}
        if _measured(values["indicator"]) and values["status"] not in ("planned", "in_progress", *MANUAL_ON_MEASURED):
            raise InvalidInput("the hub measures this commitment and says when it is done; send no status, or "
                               "blocked or dropped", field=f"roadmap[{offset - 1}].status")
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
    unknown = set(changes) - {"title", "owner", "due", "status", "notes", "evidence", "indicator"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", field=min(unknown))
    values = _values(changes, _slug_ids(conn, party_ids), "$", partial=True)
    _check_items(conn, viewer, values.get("evidence", []))
    before = conn.execute(sa.select(commitments.c.status, commitments.c.title, commitments.c.indicator).where(
        commitments.c.id == commitment_id, commitments.c.agreement_id == agreement_id)).first()
    measured = _measured(values["indicator"]) if "indicator" in values else bool(before and before.indicator)
    if measured and values.get("status") not in (None, *MANUAL_ON_MEASURED):
        raise InvalidInput("the hub measures this commitment and says when it is done: you can set blocked, "
                           "dropped or in_progress (to measure it again), or remove its indicator (null)",
                           field="status")
    if "indicator" in values and (before is None or values["indicator"] != before.indicator):
        values.update(measure=sa.null(), measured_at=None)  # measured anew by whoever reads it next
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
                        .where(commitments.c.agreement_id == agreement_id).order_by(commitments.c.position)).all()
    slug_of: dict[str, str] = {}
    if any(r.indicator for r in rows):
        slug_of = {r.id: r.slug for r in conn.execute(sa.select(organizations.c.id, organizations.c.slug))}
    return [Commitment(r.id, r.position, r.title, r.owner_slug, r.due, CommitmentStatus(r.status), r.notes,
                       tuple(r.evidence or ()), r.updated_at, indicator_json(r.indicator, slug_of), r.measure,
                       r.measured_at) for r in rows]


def progress(items: Sequence[Commitment], today: date) -> Progress:
    by_status = {s.value: 0 for s in CommitmentStatus}
    for c in items:
        by_status[c.status.value] += 1
    counted = len(items) - by_status["dropped"]
    overdue = sum(1 for c in items if c.due and c.due < today and c.status not in (CommitmentStatus.DONE,
                                                                                     CommitmentStatus.DROPPED))
    return Progress(by_status["done"], counted, by_status, overdue)
