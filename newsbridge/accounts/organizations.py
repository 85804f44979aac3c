"""Organizations: agencies, broadcasters and holdings, each with optional child outlets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import organizations
from newsbridge.errors import AlreadyExists, InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class Organization:
    id: str
    slug: str
    name: str
    parent_id: str | None
    country: str | None
    languages: tuple[str, ...]
    timezone: str
    credit_name: str
    created_at: datetime
    max_media_bytes: int | None = None  # the operator's limit for its media files; None: the hub's (media_limit.py)


def _from_row(row: sa.Row) -> Organization:
    values = row._mapping
    return Organization(**{**values, "languages": tuple(values["languages"] or ())})


def _validate(slug: str, name: str, country: str | None, languages: Sequence[str], timezone: str) -> None:
    if not SLUG.match(slug):
        raise InvalidInput(f"slug {slug!r} must be 2-63 lower-case letters, digits or dashes, like 'kazinform'",
                           field="slug")
    if not name.strip():
        raise InvalidInput("name must not be empty", field="name")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidInput(f"country {country!r} must be an ISO 3166-1 alpha-2 code like KZ or IR", field="country")
    for code in languages:
        if not LANGUAGE.match(code):
            raise InvalidInput(f"language {code!r} must be a BCP 47 tag like kk, ru, fa or en", field="languages")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"time zone {timezone!r} is not an IANA zone name like Asia/Almaty", field="timezone") \
            from None


def create_organization(
    conn: Connection,
    slug: str,
    name: str,
    *,
    parent: str | None = None,
    country: str | None = None,
    languages: Sequence[str] = (),
    timezone: str = "UTC",
    credit_name: str | None = None,
) -> Organization:
    """Register a partner; ``parent`` is the slug of its holding, if any."""
    country = country.upper() if country else None
    _validate(slug, name, country, languages, timezone)
    parent_id = get_organization(conn, parent).id if parent else None
    if conn.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).first():
        raise AlreadyExists(f"an organization with slug {slug!r} exists already", field="slug")
    values = {
        "id": new_id(), "slug": slug, "name": name.strip(), "parent_id": parent_id, "country": country,
        "languages": list(languages), "timezone": timezone, "credit_name": (credit_name or name).strip(),
        "created_at": utcnow(),
    }
    conn.execute(organizations.insert().values(**values))
    return Organization(**{**values, "languages": tuple(languages)})


def get_organization(conn: Connection, slug: str) -> Organization:
    row = conn.execute(sa.select(organizations).where(organizations.c.slug == slug)).first()
    if row is None:
        raise NotFound(f"no organization with slug {slug!r}; `newsbridge org list` shows them", field="slug")
    return _from_row(row)


def get_organization_by_id(conn: Connection, org_id: str) -> Organization:
    row = conn.execute(sa.select(organizations).where(organizations.c.id == org_id)).first()
    if row is None:
        raise NotFound(f"no organization with id {org_id!r}", field="id")
    return _from_row(row)


def get_organizations_by_id(conn: Connection, org_ids: Iterable[str]) -> dict[str, Organization]:
    """Several organizations by id in one query (the delivery worker reads a batch's recipients); unknown ids are
    left out."""
    rows = conn.execute(sa.select(organizations).where(organizations.c.id.in_(set(org_ids))))
    return {row.id: _from_row(row) for row in rows}


def list_organizations(conn: Connection) -> list[Organization]:
    rows = conn.execute(sa.select(organizations).order_by(organizations.c.slug))
    return [_from_row(row) for row in rows]


def outlets_of(conn: Connection, org_id: str) -> list[Organization]:
    rows = conn.execute(sa.select(organizations).where(organizations.c.parent_id == org_id)
                        .order_by(organizations.c.slug))
    return [_from_row(row) for row in rows]
