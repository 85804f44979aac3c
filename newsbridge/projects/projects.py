"""Joint projects: who takes part, who leads, who only watches, and who may see them at all.

A project belongs to an active agreement (its participants are some or all of the agreement's
parties, or outlets of those) and is active at once; or it is created by several organizations
directly, and stays ``pending`` until every one of them accepted it. One participant leads: the
published items are stored as its items. An observer is an agreement party that does not take
part and was invited to read along; it never writes.

Only the organizations of a project (and the outlets of a participating holding) see it: for
everyone else every id of it is a missing one (:class:`NotFound`), exactly like a missing project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member, Role
from newsbridge.accounts.organizations import Organization
from newsbridge.db.project_tables import project_members, projects
from newsbridge.db.tables import members, organizations
from newsbridge.errors import Conflict, Forbidden, InvalidInput, NotFound
from newsbridge.exchange.agreements import get_agreement
from newsbridge.exchange.lifecycle import Status as AgreementStatus
from newsbridge.ids import new_id, utcnow
from newsbridge.projects.events import record_event

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_PARTICIPANTS = 20


@dataclass(frozen=True)
class Actor:
    """Who acts: the organization (through its API key or a member's session) and, when known, the member."""

    organization: Organization
    member: Member | None
    label: str  # what the history shows: "Aigerim Bekova (kazinform)" or "api key abc123"


@dataclass(frozen=True)
class ProjectOrg:
    id: str
    slug: str
    name: str
    credit_name: str
    role: str  # participant | observer
    lead: bool
    accepted_at: datetime | None


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    description: str
    agreement_id: str | None
    lead_id: str
    starts: date | None
    ends: date | None
    languages: tuple[str, ...]
    status: str  # pending | active
    share_with_partners: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    organizations: tuple[ProjectOrg, ...]

    @property
    def participants(self) -> tuple[ProjectOrg, ...]:
        return tuple(o for o in self.organizations if o.role == "participant")

    @property
    def lead(self) -> ProjectOrg:
        return next(o for o in self.organizations if o.lead)

    def side(self, org: Organization) -> ProjectOrg | None:
        """The project organization ``org`` acts as: itself, or the participating holding of an outlet."""
        by_id = {o.id: o for o in self.organizations}
        return by_id.get(org.id) or (by_id.get(org.parent_id) if org.parent_id else None)


# --- reading the request -------------------------------------------------------------------------------------------

def text_field(data: Mapping[str, Any], key: str, *, required: bool = False, limit: int = 500) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(f"{key} must be a non-empty text", field=key)
    if len(value) > limit:
        raise InvalidInput(f"{key} is longer than {limit} characters", field=key)
    return value.strip()


def day_field(data: Mapping[str, Any], key: str) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{key} must be a day like 2026-01-31", field=key) from None


def languages_field(data: Mapping[str, Any], key: str = "languages") -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and LANGUAGE.match(v) for v in value):
        raise InvalidInput(f"{key} must list language codes such as kk, fa, ru, en", field=key)
    return tuple(dict.fromkeys(value))


def body_object(data: Any) -> Mapping[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidInput("the body must be a JSON object", field="$")
    return data


def member_of(conn: Connection, org: Organization, email: Any, field: str = "member") -> Member | None:
    """The member ``email`` of ``org`` (or of its holding), None when none is named."""
    if email in (None, ""):
        return None
    if not isinstance(email, str):
        raise InvalidInput(f"{field} is a member's e-mail address", field=field)
    row = conn.execute(sa.select(members).where(members.c.email == email.strip().lower())).first()
    sides = {org.id, org.parent_id} - {None}
    if row is None or row.organization_id not in sides:
        raise InvalidInput(f"{email!r} is no member of {org.slug}", field=field)
    values = {k: v for k, v in row._mapping.items() if k != "password_hash"}
    return Member(**{**values, "role": Role(values["role"])})


def actor_for(conn: Connection, org: Organization, email: Any, fallback: str) -> Actor:
    """The actor of a request: the member it names (by e-mail), else the key or session label."""
    member = member_of(conn, org, email)
    return Actor(org, member, f"{member.name} ({org.slug})" if member else fallback)


# --- loading and access --------------------------------------------------------------------------------------------

def _load(conn: Connection, project_id: str) -> Project | None:
    row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).first()
    if row is None:
        return None
    orgs = conn.execute(
        sa.select(project_members, organizations.c.slug, organizations.c.name, organizations.c.credit_name)
        .join(organizations, organizations.c.id == project_members.c.organization_id)
        .where(project_members.c.project_id == project_id).order_by(organizations.c.slug)).all()
    return Project(row.id, row.title, row.description, row.agreement_id, row.lead_id, row.starts, row.ends,
                   tuple(row.languages), row.status, row.share_with_partners, row.created_by, row.created_at,
                   row.updated_at,
                   tuple(ProjectOrg(o.organization_id, o.slug, o.name, o.credit_name, o.role,
                                    o.organization_id == row.lead_id, o.accepted_at) for o in orgs))


def get_project(conn: Connection, viewer: Organization, project_id: str, *, for_update: bool = False) -> Project:
    """A project the viewer takes part in or observes; NotFound for everyone else.

    ``for_update``: hold the project's row until the transaction ends (PostgreSQL; SQLite writers
    hold the whole database from BEGIN IMMEDIATE), for writers whose change depends on what they read.
    """
    if for_update:
        conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id).with_for_update())
    project = _load(conn, project_id)
    if project is None or project.side(viewer) is None:
        raise NotFound(f"no project {project_id!r}", field="id")
    return project


def list_projects(conn: Connection, viewer: Organization) -> list[Project]:
    """The projects the viewer (or its holding) belongs to, newest first."""
    sides = [viewer.id] + ([viewer.parent_id] if viewer.parent_id else [])
    ids = conn.execute(sa.select(project_members.c.project_id).where(project_members.c.organization_id.in_(sides))
                       .distinct()).scalars().all()
    found = [p for p in (_load(conn, i) for i in ids) if p is not None]
    return sorted(found, key=lambda p: p.created_at, reverse=True)


def projects_of_agreement(conn: Connection, agreement_id: str) -> list[str]:
    return list(conn.execute(sa.select(projects.c.id).where(projects.c.agreement_id == agreement_id)
                             .order_by(projects.c.created_at)).scalars())


def participant_side(project: Project, actor: Actor) -> ProjectOrg:
    """The participating organization the actor writes as; observers and pending projects cannot write."""
    side = project.side(actor.organization)
    assert side is not None  # get_project answered NotFound already
    if side.role != "participant":
        raise Forbidden(f"{side.slug} observes project {project.title!r}: observers read, participants write")
    if project.status != "active":
        waiting = ", ".join(o.slug for o in project.participants if o.accepted_at is None)
        raise Conflict(f"project {project.title!r} waits for its participants to accept it ({waiting}); "
                       f"POST /api/v1/projects/{project.id}:accept", field="status")
    return side


def editor_member(actor: Actor, what: str) -> Member:
    """The actor's member, who must be an editor or admin (approvals, publication)."""
    if actor.member is None:
        raise InvalidInput(f"{what} is given by a member: name one with \"member\": \"e-mail\"", field="member")
    if actor.member.role not in (Role.EDITOR, Role.ADMIN):
        raise Forbidden(f"{actor.member.email} is a {actor.member.role.value}; {what} needs an editor or admin",
                        field="member")
    return actor.member


# --- creating and joining ------------------------------------------------------------------------------------------

def _orgs_by_slug(conn: Connection, slugs: Sequence[Any], field: str) -> list[sa.Row]:
    if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
        raise InvalidInput(f"{field} must list organization slugs", field=field)
    rows = {r.slug: r for r in conn.execute(sa.select(organizations.c.id, organizations.c.slug,
                                                      organizations.c.parent_id)
                                            .where(organizations.c.slug.in_(slugs)))}
    if unknown := [s for s in slugs if s not in rows]:
        raise InvalidInput(f"no organization with slug {unknown[0]!r}", field=field)
    return [rows[s] for s in dict.fromkeys(slugs)]


def _in_agreement(row: sa.Row, party_ids: set[str]) -> bool:
    return row.id in party_ids or (row.parent_id is not None and row.parent_id in party_ids)


def create_project(conn: Connection, actor: Actor, data: Any) -> Project:
    """A new project from the API body (see docs/projects.md): under an agreement (active at once) or
    between organizations (pending until each accepts). The creator must take part."""
    data = body_object(data)
    title = text_field(data, "title", required=True)
    description = text_field(data, "description", limit=20_000)
    languages = languages_field(data)
    starts, ends = day_field(data, "starts"), day_field(data, "ends")
    if starts and ends and ends < starts:
        raise InvalidInput("ends must not be before starts", field="ends")
    share = data.get("share_with_partners", False)
    if not isinstance(share, bool):
        raise InvalidInput("share_with_partners is true or false", field="share_with_partners")
    creator = actor.organization
    agreement_id = data.get("agreement")
    observers: list[sa.Row] = []
    if agreement_id is not None:
        if not isinstance(agreement_id, str):
            raise InvalidInput("agreement is an agreement id", field="agreement")
        try:
            agreement = get_agreement(conn, creator, agreement_id)
        except NotFound:
            raise InvalidInput(f"no agreement {agreement_id!r} of yours", field="agreement") from None
        if agreement.status != AgreementStatus.ACTIVE:
            raise InvalidInput(f"agreement {agreement.title!r} is {agreement.status.value}; a project needs an "
                               "active agreement", field="agreement")
        party_ids = {p.id for p in agreement.parties}
        slugs = data.get("participants") or [p.slug for p in agreement.parties]
        chosen = _orgs_by_slug(conn, slugs, "participants")
        if outside := [r.slug for r in chosen if not _in_agreement(r, party_ids)]:
            raise InvalidInput(f"{outside[0]} is not a party of the agreement (nor an outlet of one)",
                               field="participants")
        observers = _orgs_by_slug(conn, data.get("observers") or [], "observers")
        if outside := [r.slug for r in observers if not _in_agreement(r, party_ids)]:
            raise InvalidInput(f"{outside[0]} is not a party of the agreement: only parties observe",
                               field="observers")
    else:
        chosen = _orgs_by_slug(conn, data.get("participants"), "participants") \
            if data.get("participants") is not None else []
        if len(chosen) < 2:
            raise InvalidInput("name an agreement, or participants: at least two organization slugs",
                               field="participants")
        if data.get("observers"):
            raise InvalidInput("observers are parties of the project's agreement; this project has none",
                               field="observers")
    if len(chosen) > MAX_PARTICIPANTS:
        raise InvalidInput(f"a project has at most {MAX_PARTICIPANTS} participants", field="participants")
    chosen_ids = [r.id for r in chosen]
    me = creator.id if creator.id in chosen_ids else creator.parent_id if creator.parent_id in chosen_ids else None
    if me is None:
        raise InvalidInput(f"{creator.slug} must be among the participants of a project it creates",
                           field="participants")
    lead_slug = data.get("lead")
    lead = me if lead_slug is None else next((r.id for r in chosen if r.slug == lead_slug), None)
    if lead is None:
        raise InvalidInput("lead must be one of the participants", field="lead")
    if overlap := [r.slug for r in observers if r.id in chosen_ids]:
        raise InvalidInput(f"{overlap[0]} takes part already; observers are parties that do not", field="observers")
    now = utcnow()
    project_id = new_id()
    conn.execute(projects.insert().values(
        id=project_id, title=title, description=description, agreement_id=agreement_id, lead_id=lead,
        starts=starts, ends=ends, languages=list(languages), share_with_partners=share, created_by=creator.id,
        status="active" if agreement_id else "pending", created_at=now, updated_at=now))
    conn.execute(project_members.insert(), [
        {"project_id": project_id, "organization_id": oid, "role": "participant", "invited_at": now,
         "accepted_at": now if agreement_id or oid == me else None} for oid in chosen_ids]
        + [{"project_id": project_id, "organization_id": r.id, "role": "observer", "invited_at": now,
            "accepted_at": now} for r in observers])
    record_event(conn, project_id, None, "project.created", actor,
                 {"title": title, "waiting_for": [r.slug for r in chosen if r.id != me and not agreement_id]})
    return _load(conn, project_id)  # type: ignore[return-value]


def accept_project(conn: Connection, project_id: str, actor: Actor) -> Project:
    """The actor's organization accepts taking part; the last acceptance makes the project active."""
    project = get_project(conn, actor.organization, project_id, for_update=True)
    side = project.side(actor.organization)
    assert side is not None
    if side.role != "participant":
        raise Forbidden(f"{side.slug} observes this project; only participants accept it")
    if side.accepted_at is not None:
        return project
    now = utcnow()
    conn.execute(project_members.update().where(project_members.c.project_id == project_id,
                                                project_members.c.organization_id == side.id)
                 .values(accepted_at=now))
    waiting = [o.slug for o in project.participants if o.accepted_at is None and o.id != side.id]
    record_event(conn, project_id, None, "project.accepted", actor, {"organization": side.slug,
                                                                     "waiting_for": waiting})
    if not waiting:
        conn.execute(projects.update().where(projects.c.id == project_id).values(status="active", updated_at=now))
        record_event(conn, project_id, None, "project.activated", actor, {})
    return _load(conn, project_id)  # type: ignore[return-value]


def invite_observer(conn: Connection, project_id: str, actor: Actor, data: Any) -> Project:
    """A participant invites a party of the project's agreement that does not take part, to read along."""
    project = get_project(conn, actor.organization, project_id, for_update=True)
    participant_side(project, actor)
    slug = body_object(data).get("organization")
    if not isinstance(slug, str):
        raise InvalidInput("organization is the slug of the party to invite", field="organization")
    if project.agreement_id is None:
        raise InvalidInput("observers are parties of the project's agreement; this project has none",
                           field="organization")
    [row] = _orgs_by_slug(conn, [slug], "organization")
    agreement = get_agreement(conn, actor.organization, project.agreement_id)
    if not _in_agreement(row, {p.id for p in agreement.parties}):
        raise InvalidInput(f"{slug} is not a party of the project's agreement", field="organization")
    if any(o.id == row.id for o in project.organizations):
        raise InvalidInput(f"{slug} belongs to the project already", field="organization")
    now = utcnow()
    conn.execute(project_members.insert().values(project_id=project_id, organization_id=row.id, role="observer",
                                                 invited_at=now, accepted_at=now))
    record_event(conn, project_id, None, "project.observer_invited", actor, {"organization": slug})
    return _load(conn, project_id)  # type: ignore[return-value]
