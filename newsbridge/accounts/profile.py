"""An organization's profile, kept by its own admins: its name in each language, languages, time zone,
credit line and contact; a holding's outlets are listed with it.

The name (as partners see it), languages, time zone and credit line are the organization's own
columns (``accounts/organizations.py``); the names in other languages and the contact are in
``organization_profiles``. A change is checked whole before anything is written, so a bad field
changes nothing, and it is on the organization's audit log with the fields it changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import EMAIL
from newsbridge.accounts.organizations import LANGUAGE, Organization, get_organization_by_id, outlets_of
from newsbridge.db.operator_tables import organization_profiles
from newsbridge.db.tables import organizations
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow

NAME_LANGUAGES = ("en", "kk", "ru", "fa")
FIELDS = ("name", "names", "languages", "timezone", "credit_line", "contact")
CONTACT_FIELDS = ("name", "email", "phone")
PHONE = re.compile(r"^\+?[0-9 ()\-.]{5,40}$")
MAX_TEXT = 300


@dataclass(frozen=True)
class Profile:
    organization: Organization
    names: dict[str, str] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    outlets: tuple[tuple[str, str], ...] = ()  # (slug, name) of a holding's outlets

    def to_json(self) -> dict[str, Any]:
        org = self.organization
        return {"slug": org.slug, "name": org.name, "names": self.names, "languages": list(org.languages),
                "timezone": org.timezone, "credit_line": org.credit_name, "country": org.country,
                "contact": {k: self.contact.get(k, "") for k in CONTACT_FIELDS},
                "outlets": [{"slug": s, "name": n} for s, n in self.outlets]}


def get_profile(conn: Connection, organization_id: str) -> Profile:
    org = get_organization_by_id(conn, organization_id)
    row = conn.execute(sa.select(organization_profiles)
                       .where(organization_profiles.c.organization_id == organization_id)).first()
    outlets = tuple((o.slug, o.name) for o in outlets_of(conn, organization_id))
    return Profile(org, dict(row.names) if row else {}, dict(row.contact) if row else {}, outlets)


def _text(value: Any, name: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} must not be empty", field=name)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{name} is over {MAX_TEXT} characters; shorten it", field=name)
    if "\x00" in value:
        raise InvalidInput(f"{name} holds a NUL character; remove it", field=name)
    return value


def _names(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput('names must be an object of language → name, like {"kk": "...", "fa": "..."}',
                           field="names")
    unknown = [k for k in value if k not in NAME_LANGUAGES]
    if unknown:
        raise InvalidInput(f"names: {unknown[0]!r} is not one of {', '.join(NAME_LANGUAGES)}", field="names")
    return {k: text for k, v in value.items() if (text := _text(v, f"names.{k}"))}


def _languages(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value) or len(value) > 20:
        raise InvalidInput("languages must be a list of 1 to 20 BCP 47 tags like [\"kk\", \"ru\"]",
                           field="languages")
    tags = list(dict.fromkeys(v.strip() for v in value))
    for tag in tags:
        if not LANGUAGE.match(tag):
            raise InvalidInput(f"language {tag!r} must be a BCP 47 tag like kk, ru, fa or en", field="languages")
    return tags


def _timezone(value: Any) -> str:
    zone = _text(value, "timezone", required=True)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"time zone {zone!r} is not an IANA zone name like Asia/Almaty", field="timezone") from None
    return zone


def _contact(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput('contact must be an object with name, email and phone', field="contact")
    unknown = [k for k in value if k not in CONTACT_FIELDS]
    if unknown:
        raise InvalidInput(f"contact: {unknown[0]!r} is not one of {', '.join(CONTACT_FIELDS)}", field="contact")
    found = {k: _text(value.get(k), f"contact.{k}") for k in CONTACT_FIELDS}
    if found["email"] and not EMAIL.match(found["email"]):
        raise InvalidInput(f"contact.email {found['email']!r} is not an e-mail address", field="contact.email")
    if found["phone"] and not PHONE.match(found["phone"]):
        raise InvalidInput("contact.phone must be a phone number like +7 7172 00 00 00", field="contact.phone")
    return found


def update_profile(conn: Connection, organization_id: str, changes: Any, *, actor: str,
                   address: str | None = None) -> Profile:
    """Apply ``changes`` (any of :data:`FIELDS`); all are checked before anything is written."""
    if not isinstance(changes, dict):
        raise InvalidInput("send a JSON object with any of " + ", ".join(FIELDS), field=None)
    unknown = [k for k in changes if k not in FIELDS]
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not a profile field; the fields are {', '.join(FIELDS)}",
                           field=str(unknown[0])[:64])
    checks = {"name": lambda v: _text(v, "name", required=True), "names": _names, "languages": _languages,
              "timezone": _timezone, "credit_line": lambda v: _text(v, "credit_line", required=True),
              "contact": _contact}
    checked = {k: checks[k](v) for k, v in changes.items()}
    columns = {"name": "name", "languages": "languages", "timezone": "timezone", "credit_line": "credit_name"}
    own = {columns[k]: v for k, v in checked.items() if k in columns}
    if own:
        conn.execute(organizations.update().where(organizations.c.id == organization_id).values(**own))
    if "names" in checked or "contact" in checked:
        before = get_profile(conn, organization_id)
        values = {"names": checked.get("names", before.names), "contact": checked.get("contact", before.contact),
                  "updated_at": utcnow()}
        updated = conn.execute(organization_profiles.update()
                               .where(organization_profiles.c.organization_id == organization_id).values(**values))
        if updated.rowcount == 0:
            conn.execute(organization_profiles.insert().values(organization_id=organization_id, **values))
    if checked:
        audit.record(conn, "organization.profile_changed", organization_id=organization_id, actor=actor,
                     address=address, detail={"fields": sorted(checked)})
    return get_profile(conn, organization_id)
