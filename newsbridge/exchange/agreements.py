"""Agreements: drafting, proposing, signing by every party, suspending, ending, amending.

Only parties (and their outlets, read-only) see an agreement; anyone else gets 404. A draft is
the creating organization's own until it is proposed: naming an organization in a draft shows
it nothing and makes it no partner. Every change is recorded in ``agreement_events`` with who
and when. Terms change only through an amendment, which every party must sign again before the
agreement routes anything.

Every lifecycle action first takes the agreement's row lock, so two hub processes acting on one
agreement at the same moment take turns: each reads the state the previous one committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import agreement_events, agreement_parties, agreements, organizations
from newsbridge.errors import Forbidden, InvalidInput, NotFound, RevisionChanged
from newsbridge.exchange.lifecycle import Action, Status, effective_status, next_status
from newsbridge.exchange.roadmap import add_commitments
from newsbridge.exchange.pace_targets import PaceTargets, parse_targets
from newsbridge.exchange.terms import Terms, parse_terms
from newsbridge.ids import new_id, utcnow

MAX_PARTIES = 50


@dataclass(frozen=True)
class Party:
    id: str
    slug: str
    name: str
    signed: bool  # signed the current terms
    signed_at: datetime | None
    signed_by: str | None


@dataclass(frozen=True)
class Agreement:
    id: str
    title: str
    status: Status  # effective: "expired" when past valid_until
    valid_from: date | None
    valid_until: date | None
    terms: tuple[Terms, ...]
    terms_revision: int
    parties: tuple[Party, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime
    proposed: bool  # put up for signature at least once; before that only its creator sees it
    targets: PaceTargets = PaceTargets()  # the pace targets signed with the terms

    def party(self, org_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == org_id), None)


@dataclass(frozen=True)
class Event:
    action: str
    organization: str  # slug
    actor: str
    from_status: str | None
    to_status: str
    details: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True)
class Draft:
    """A validated agreement body (create or amend)."""

    title: str
    party_ids: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None
    terms: tuple[Terms, ...]
    roadmap: tuple[Mapping[str, Any], ...]
    targets: PaceTargets | None = None  # None: not sent (defaults on create, unchanged on amend)


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a day like 2026-01-31", field=field) from None


def parse_draft(conn: Connection, data: Any, *, parties_fixed: Sequence[str] | None = None,
                targets_in_force: PaceTargets | None = None) -> Draft:
    """Validate an agreement body as partners send it (slugs), resolving organizations.
    ``targets_in_force``: an amendment's current pace targets, which fields it leaves out keep."""
    if not isinstance(data, Mapping):
        raise InvalidInput("the agreement must be a JSON object", field="$")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput("title must be a non-empty text", field="title")
    rows = conn.execute(sa.select(organizations.c.id, organizations.c.slug, organizations.c.parent_id)).all()
    org_ids = {r.slug: r.id for r in rows}
    outlets: dict[str, set[str]] = {}
    for r in rows:
        if r.parent_id:
            outlets.setdefault(r.parent_id, set()).add(r.id)
    if parties_fixed is not None:
        slugs = [slug for slug, oid in org_ids.items() if oid in parties_fixed]
        if "parties" in data and sorted(data["parties"] or []) != sorted(slugs):
            raise InvalidInput("the parties of an agreement cannot change; make a new agreement", field="parties")
    else:
        slugs = data.get("parties")
        if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs) or len(set(slugs)) < 2:
            raise InvalidInput("parties must list at least two different organization slugs", field="parties")
        if len(slugs) > MAX_PARTIES:
            raise InvalidInput(f"an agreement has at most {MAX_PARTIES} parties", field="parties")
        if unknown := [s for s in slugs if s not in org_ids]:
            raise InvalidInput(f"no organization with slug {unknown[0]!r}", field="parties")
    party_ids = {slug: org_ids[slug] for slug in dict.fromkeys(slugs)}
    valid_from, valid_until = _date(data.get("valid_from"), "valid_from"), _date(data.get("valid_until"), "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput("valid_until must not be before valid_from", field="valid_until")
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise InvalidInput("terms must list what each sharing party shares (at least one term)", field="terms")
    terms = tuple(parse_terms(t, i, party_ids, outlets, org_ids) for i, t in enumerate(raw_terms))
    roadmap = data.get("roadmap") or []
    if not isinstance(roadmap, list) or not all(isinstance(c, Mapping) for c in roadmap):
        raise InvalidInput("roadmap must be a list of commitments", field="roadmap")
    targets = parse_targets(data["targets"], targets_in_force) if data.get("targets") is not None else None
    return Draft(title.strip(), tuple(party_ids.values()), valid_from, valid_until, terms, tuple(roadmap), targets)


def _ever_proposed() -> sa.ColumnElement[bool]:
    """True for an agreement that was put up for signature at least once (only ``propose`` does that)."""
    return sa.exists().where(agreement_events.c.agreement_id == agreements.c.id,
                             agreement_events.c.action == Action.PROPOSE.value)


def visible_agreement_ids(sides: Sequence[str]) -> sa.Select[tuple[str]]:
    """The ids of the agreements an organization sees, ``sides`` being it and its holding.

    A party sees an agreement once it was proposed; a draft (or a draft ended unproposed) only
    its creating organization (and that one's outlets) sees.
    """
    party_of = sa.select(agreement_parties.c.agreement_id).where(agreement_parties.c.organization_id.in_(sides))
    return sa.select(agreements.c.id).where(agreements.c.id.in_(party_of),
                                            sa.or_(agreements.c.created_by.in_(sides), _ever_proposed()))


def _load(conn: Connection, agreement_id: str) -> Agreement | None:
    row = conn.execute(sa.select(agreements, _ever_proposed().label("proposed"))
                       .where(agreements.c.id == agreement_id)).first()
    if row is None:
        return None
    party_rows = conn.execute(
        sa.select(agreement_parties, organizations.c.slug, organizations.c.name)
        .join(organizations, organizations.c.id == agreement_parties.c.organization_id)
        .where(agreement_parties.c.agreement_id == agreement_id).order_by(organizations.c.slug))
    parties = tuple(Party(p.organization_id, p.slug, p.name, p.signed_revision == row.terms_revision,
                          p.signed_at if p.signed_revision == row.terms_revision else None,
                          p.signed_by if p.signed_revision == row.terms_revision else None) for p in party_rows)
    return Agreement(row.id, row.title, effective_status(Status(row.status), row.valid_until, date.today()),
                     row.valid_from, row.valid_until, tuple(Terms.from_json(t) for t in row.terms),
                     row.terms_revision, parties, row.created_by, row.created_at, row.updated_at,
                     bool(row.proposed), PaceTargets.from_json(row.targets))


def _viewer_ids(viewer: Organization) -> tuple[str, ...]:
    return (viewer.id, viewer.parent_id) if viewer.parent_id else (viewer.id,)


def _visible(agreement: Agreement, viewer: Organization) -> bool:
    sides = _viewer_ids(viewer)
    return any(agreement.party(oid) for oid in sides) and (agreement.proposed or agreement.created_by in sides)


def _lock(conn: Connection, agreement_id: str) -> None:
    """Hold the agreement's row until the transaction ends, before reading anything of it.

    PostgreSQL: ``SELECT ... FOR UPDATE``; a second writer waits here, then reads what the first
    committed (READ COMMITTED takes a fresh snapshot per statement). SQLite leaves FOR UPDATE
    out: its writers hold the whole database from ``BEGIN IMMEDIATE`` (db/engine.py:writing).
    """
    conn.execute(sa.select(agreements.c.id).where(agreements.c.id == agreement_id).with_for_update())


def get_agreement(conn: Connection, viewer: Organization, agreement_id: str, *, for_update: bool = False) -> Agreement:
    """An agreement the viewer sees (see :func:`visible_agreement_ids`); NotFound otherwise.

    ``for_update``: lock it first, for a writer whose change depends on what it reads.
    """
    if for_update:
        _lock(conn, agreement_id)
    agreement = _load(conn, agreement_id)
    if agreement is None or not _visible(agreement, viewer):
        raise NotFound(f"no agreement {agreement_id!r}", field="id")
    return agreement


def load_agreement(conn: Connection, agreement_id: str) -> Agreement:
    """Any agreement, for the hub operator (the CLI); partners go through :func:`get_agreement`."""
    agreement = _load(conn, agreement_id)
    if agreement is None:
        raise NotFound(f"no agreement {agreement_id!r}; `newsbridge agreement list` shows them", field="id")
    return agreement


def all_agreement_ids(conn: Connection) -> list[str]:
    return list(conn.execute(sa.select(agreements.c.id).order_by(agreements.c.created_at)).scalars())


def list_agreements(conn: Connection, viewer: Organization) -> list[Agreement]:
    """The agreements the viewer sees, newest first."""
    ids = conn.execute(visible_agreement_ids(_viewer_ids(viewer))).scalars().all()
    found = [a for a in (_load(conn, i) for i in ids) if a is not None]
    return sorted(found, key=lambda a: a.created_at, reverse=True)


def partner_agreements(conn: Connection, viewer: Organization) -> dict[str, list[Agreement]]:
    """Who the viewer exchanges with: every other party of an agreement it sees that has been
    proposed, by organization id. Naming an organization in a draft makes it no partner."""
    sides = _viewer_ids(viewer)
    found: dict[str, list[Agreement]] = {}
    for agreement in list_agreements(conn, viewer):
        if agreement.proposed:
            for party in agreement.parties:
                if party.id not in sides:
                    found.setdefault(party.id, []).append(agreement)
    return found


def read_revision(data: Any) -> int | None:
    """The terms revision a request says its sender read (``{"revision": 2}``), None when absent."""
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise InvalidInput("the body must be a JSON object", field="$")
    value = data.get("revision")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput("revision must be the terms revision you read, a whole number like 2", field="revision")
    return value


def _record(conn: Connection, agreement_id: str, action: str, actor_org: Organization, actor: str,
            from_status: str | None, to_status: str, details: dict[str, Any] | None = None) -> None:
    conn.execute(agreement_events.insert().values(
        agreement_id=agreement_id, action=action, organization_id=actor_org.id, actor=actor,
        from_status=from_status, to_status=to_status, details=details, at=utcnow()))
    audit.record(conn, f"agreement.{action}", organization_id=actor_org.id, actor=actor, target=agreement_id,
                 detail={"from": from_status, "to": to_status})


def create_agreement(conn: Connection, actor_org: Organization, actor: str, data: Any) -> Agreement:
    """A new draft agreement; the creating organization must be one of its parties."""
    draft = parse_draft(conn, data)
    if actor_org.id not in draft.party_ids:
        raise InvalidInput("your organization must be one of the parties", field="parties")
    now, agreement_id = utcnow(), new_id()
    conn.execute(agreements.insert().values(
        id=agreement_id, title=draft.title, status=Status.DRAFT.value, valid_from=draft.valid_from,
        valid_until=draft.valid_until, terms=[t.to_json() for t in draft.terms], terms_revision=1,
        targets=draft.targets.to_json() if draft.targets else None, created_by=actor_org.id, created_at=now,
        updated_at=now))
    conn.execute(agreement_parties.insert(), [{"agreement_id": agreement_id, "organization_id": p}
                                              for p in draft.party_ids])
    add_commitments(conn, agreement_id, draft.party_ids, draft.roadmap, actor_org)
    _record(conn, agreement_id, "create", actor_org, actor, None, Status.DRAFT.value, {"title": draft.title})
    created = _load(conn, agreement_id)
    assert created is not None
    return created


def _check_revision(agreement: Agreement, seen: int | None) -> None:
    if seen is not None and seen != agreement.terms_revision:
        raise RevisionChanged(
            f"the terms changed since you read them: you read revision {seen}, they are now at revision "
            f"{agreement.terms_revision}; read them again (GET /api/v1/agreements/{agreement.id}) before you act",
            field="revision")


def act(conn: Connection, agreement_id: str, action: Action, actor_org: Organization, actor: str,
        data: Any = None, *, revision: int | None = None) -> Agreement:
    """Apply a lifecycle action by a party; the transition table decides what is allowed.

    The whole action runs under the agreement's row lock, so "every party signed" and the next
    revision are decided on what the previous action committed. ``revision`` is the terms
    revision the actor read (sign, amend): when the terms changed since, RevisionChanged and
    nothing happens, so nobody signs or amends terms they have not seen.
    """
    _lock(conn, agreement_id)
    agreement = get_agreement(conn, actor_org, agreement_id)
    if agreement.party(actor_org.id) is None:
        raise Forbidden("only a party itself can act on an agreement, not its outlets", field="id")
    stored = Status(conn.execute(sa.select(agreements.c.status).where(agreements.c.id == agreement_id)).scalar_one())
    values: dict[str, Any] = {"updated_at": utcnow()}
    details: dict[str, Any] | None = None
    if action is Action.SIGN:
        next_status(stored, action)  # an agreement in the wrong state says so before anything else
        _check_revision(agreement, revision)
        if agreement.party(actor_org.id).signed:  # type: ignore[union-attr]
            raise InvalidInput("your organization has signed these terms already", field="id")
        unsigned = [p for p in agreement.parties if not p.signed and p.id != actor_org.id]
        target = next_status(stored, action, all_signed=not unsigned)
        conn.execute(agreement_parties.update().where(
            agreement_parties.c.agreement_id == agreement_id, agreement_parties.c.organization_id == actor_org.id,
        ).values(signed_revision=agreement.terms_revision, signed_at=utcnow(), signed_by=actor))
        details = {"revision": agreement.terms_revision, "waiting_for": [p.slug for p in unsigned]}
    elif action is Action.AMEND:
        target = next_status(stored, action)
        _check_revision(agreement, revision)
        draft = parse_draft(conn, data, parties_fixed=[p.id for p in agreement.parties],
                            targets_in_force=agreement.targets)
        values.update(title=draft.title, valid_from=draft.valid_from, valid_until=draft.valid_until,
                      terms=[t.to_json() for t in draft.terms], terms_revision=agreement.terms_revision + 1)
        details = {"revision": agreement.terms_revision + 1}
        if draft.targets is not None and draft.targets != agreement.targets:
            values["targets"] = draft.targets.to_json()  # signed again with the terms, like them
            details["targets"] = {"from": agreement.targets.to_json(), "to": draft.targets.to_json()}
    else:
        target = next_status(stored, action)
        if action is Action.PROPOSE and stored is Status.SUSPENDED:
            values["terms_revision"] = agreement.terms_revision + 1  # resuming needs every signature again
        if action is Action.DECLINE:  # signatures given to the declined proposal count no more
            values["terms_revision"] = agreement.terms_revision + 1
            reason = str((data or {}).get("reason", "") if isinstance(data, dict) else "").strip()[:1000]
            details = {"revision": agreement.terms_revision + 1, **({"reason": reason} if reason else {})}
    values["status"] = target.value
    conn.execute(agreements.update().where(agreements.c.id == agreement_id).values(**values))
    _record(conn, agreement_id, action.value, actor_org, actor, stored.value, target.value, details)
    updated = _load(conn, agreement_id)
    assert updated is not None
    return updated


def history(conn: Connection, agreement_id: str) -> list[Event]:
    """Every change of an agreement, oldest first (check visibility with get_agreement first)."""
    rows = conn.execute(
        sa.select(agreement_events, organizations.c.slug)
        .join(organizations, organizations.c.id == agreement_events.c.organization_id)
        .where(agreement_events.c.agreement_id == agreement_id).order_by(agreement_events.c.id))
    return [Event(r.action, r.slug, r.actor, r.from_status, r.to_status, r.details, r.at) for r in rows]
