"""Single sign-on with OpenID Connect, per organization: the directory an organization's admins connect.

An organization registers the hub as a client of its directory (Keycloak, Entra ID, Google Workspace)
and gives the hub the issuer URL, the client id and secret, the e-mail domains whose people sign in
through it, and optionally a claim whose values map to roles (``groups`` containing
``newsbridge-admins`` -> admin), the role of everyone else, whether the first sign-in of someone
without an account creates one, whether the claim also sets existing members' roles at each sign-in, and whether the directory itself enforces a second factor (then a
directory sign-in satisfies the organization's two-factor rule; otherwise the hub's own second step
follows, see docs/accounts.md).

A domain belongs to one organization (the hub finds the directory from the address a member types),
and an organization cannot claim a domain at which another organization's members already have their
addresses. The client secret is sealed (AES-256-GCM) under a key the hub makes once and keeps in
``hub_secrets``, bound to the organization's id; no answer ever shows it again. Changes are on the audit
log (``sso.configured``, ``sso.removed``). The sign-in itself is in ``accounts/oidc_flow.py``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import Role
from newsbridge.db.sso_tables import sso_configs, sso_domains, sso_flows
from newsbridge.db import sealed
from newsbridge.db.tables import members
from newsbridge.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from newsbridge.ids import utcnow
from newsbridge.targets import Resolver, check_url, is_public, system_resolver

KEY_NAME = "sso_client_secrets"
ROLE_ORDER = (Role.VIEWER, Role.EDITOR, Role.ADMIN)
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
FIELDS = {"issuer", "client_id", "client_secret", "domains", "role_claim", "roles", "default_role", "create_accounts",
          "sync_roles", "idp_enforces_mfa"}
MAX_DOMAINS = 50
MAX_ROLES = 100


@dataclass(frozen=True)
class SsoConfig:
    organization_id: str
    issuer: str
    client_id: str
    domains: tuple[str, ...]
    role_claim: str | None
    roles: tuple[tuple[str, Role], ...]  # (claim value, role), as the admins listed them
    default_role: Role
    create_accounts: bool
    idp_enforces_mfa: bool
    updated_at: datetime
    updated_by: str
    sync_roles: bool = False  # the claim sets an existing member's role at every sign-in, not only at creation

    def to_json(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "client_id": self.client_id, "client_secret_set": True,
                "domains": list(self.domains), "role_claim": self.role_claim,
                "roles": {value: str(role) for value, role in self.roles}, "default_role": str(self.default_role),
                "create_accounts": self.create_accounts, "sync_roles": self.sync_roles,
                "idp_enforces_mfa": self.idp_enforces_mfa,
                "updated_at": self.updated_at.isoformat(), "updated_by": self.updated_by}

    def role_for(self, claims: Mapping[str, Any]) -> Role:
        """The highest role whose claim value the directory sent (``groups`` may be a list or one string);
        the default role when none matches or no claim is set."""
        if not self.role_claim:
            return self.default_role
        sent = claims.get(self.role_claim)
        values = {sent} if isinstance(sent, str) else {v for v in sent if isinstance(v, str)} \
            if isinstance(sent, list) else set()
        matched = [role for value, role in self.roles if value in values]
        return max(matched, key=ROLE_ORDER.index) if matched else self.default_role


def domain_of(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


def _config(conn: Connection, row: sa.Row) -> SsoConfig:
    domains = conn.execute(sa.select(sso_domains.c.domain).where(sso_domains.c.organization_id == row.organization_id)
                           .order_by(sso_domains.c.domain)).scalars().all()
    return SsoConfig(row.organization_id, row.issuer, row.client_id, tuple(domains), row.role_claim,
                     tuple((pair["value"], Role(pair["role"])) for pair in row.role_map), Role(row.default_role),
                     row.create_accounts, row.idp_enforces_mfa, row.updated_at, row.updated_by, row.sync_roles)


def get_config(conn: Connection, organization_id: str) -> SsoConfig | None:
    row = conn.execute(sa.select(sso_configs).where(sso_configs.c.organization_id == organization_id)).first()
    return _config(conn, row) if row is not None else None


def config_for_email(conn: Connection, email: str) -> SsoConfig | None:
    """The directory of the organization that claims the address's domain, if any."""
    found = conn.execute(sa.select(sso_domains.c.organization_id)
                         .where(sso_domains.c.domain == domain_of(email))).scalar()
    return get_config(conn, found) if found else None


def _seal(conn: Connection, organization_id: str, secret: str) -> str:
    return sealed.seal(conn, KEY_NAME, organization_id, secret)


def client_secret(conn: Connection, organization_id: str) -> str:
    """The organization's client secret in clear, for the token request only."""
    value = conn.execute(sa.select(sso_configs.c.client_secret_sealed)
                         .where(sso_configs.c.organization_id == organization_id)).scalar_one()
    return sealed.unseal(conn, KEY_NAME, organization_id, value)


def _text(data: Mapping[str, Any], name: str, limit: int, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} is required: a non-empty string", field=name)
    if len(value.strip()) > limit or "\x00" in value:
        raise InvalidInput(f"{name} must be at most {limit} characters, with no NUL", field=name)
    return value.strip()


@dataclass(frozen=True)
class CheckedIssuer:
    """An issuer URL the SSRF guard passed, for the ``data`` it was typed in: what :func:`save_config` takes.

    The guard resolves the directory's host name (DNS can take seconds); it runs before the write
    transaction opens, so a slow directory never holds the database's writer (SQLite has one)."""

    typed: str  # the ``issuer`` of the data, as sent
    url: str  # as the directory will state it (no trailing slash)


def check_issuer(value: str, allow: Sequence[str], resolver: Resolver | None = None) -> str:
    """The issuer URL as the directory will state it (no trailing slash), once the SSRF guard passed it:
    https, or http only to an address the operator allowed (a directory on the hub's own network)."""
    issuer = value.rstrip("/")
    if "?" in issuer or "#" in issuer:
        raise InvalidInput("issuer must be the directory's base URL, without ? or #", field="issuer")
    try:
        target = check_url(issuer, allow, resolver or system_resolver)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="issuer") from None
    if target.scheme != "https" and is_public(ipaddress.ip_address(target.address)):
        raise InvalidInput("issuer must be an https:// URL", field="issuer")
    return issuer


def _domains(conn: Connection, organization_id: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_DOMAINS:
        raise InvalidInput(f'domains must be a list of 1 to {MAX_DOMAINS} e-mail domains, like ["irna.ir"]',
                           field="domains")
    found: list[str] = []
    for entry in value:
        domain = entry.strip().lower().lstrip("@") if isinstance(entry, str) else ""
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
        if not DOMAIN.match(domain):
            raise InvalidInput(f"{entry!r} is not an e-mail domain like irna.ir", field="domains")
        owner = conn.execute(sa.select(sso_domains.c.organization_id).where(sso_domains.c.domain == domain)).scalar()
        if owner is not None and owner != organization_id:
            raise AlreadyExists(f"{domain} signs in through another organization's directory", field="domains")
        others = conn.execute(sa.select(members.c.id).where(
            members.c.email.endswith("@" + domain, autoescape=True),
            members.c.organization_id != organization_id).limit(1)).first()
        if others is not None:
            raise Conflict(f"members of another organization have addresses at {domain}; an organization can only "
                           "claim a domain its own people use", field="domains")
        if domain not in found:
            found.append(domain)
    return found


def _roles(data: Mapping[str, Any]) -> tuple[str | None, list[dict[str, str]], Role]:
    role_claim = _text(data, "role_claim", 100, required=False)
    mapping = data.get("roles") or {}
    if not isinstance(mapping, dict) or len(mapping) > MAX_ROLES:
        raise InvalidInput(f'roles must map claim values to roles, like {{"newsbridge-admins": "admin"}} (at most '
                           f"{MAX_ROLES})", field="roles")
    pairs = []
    for value, role in mapping.items():
        if not value.strip() or len(value) > 300 or role not in Role.__members__.values():
            raise InvalidInput(f"roles: {value!r} must map to admin, editor or viewer", field="roles")
        pairs.append({"value": value.strip(), "role": role})
    if pairs and not role_claim:
        raise InvalidInput("role_claim names the claim the roles are read from (like groups)", field="role_claim")
    default = data.get("default_role", "viewer")
    if default not in Role.__members__.values():
        raise InvalidInput("default_role must be admin, editor or viewer", field="default_role")
    return role_claim, pairs, Role(default)


def _flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


def _settings(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput('send {"issuer", "client_id", "client_secret", "domains": [...]}', field="$")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a setting of single sign-on; the settings are "
                           f"{', '.join(sorted(FIELDS))}", field=unknown[0])
    return data


def checked_issuer(data: Any, allow: Sequence[str], resolver: Resolver | None = None) -> CheckedIssuer:
    """The network half of saving a directory, to call before the write transaction: the shape of ``data``
    and its issuer through the SSRF guard (a DNS lookup of the directory's host)."""
    typed = str(_text(_settings(data), "issuer", 500))
    return CheckedIssuer(typed, check_issuer(typed, allow, resolver))


def save_config(conn: Connection, organization_id: str, data: Any, *, issuer: CheckedIssuer, actor: str,
                address: str | None = None) -> SsoConfig:
    """Set (or replace) the organization's directory, in the caller's write transaction, with the issuer
    :func:`checked_issuer` passed before it opened. ``client_secret`` may be left out to keep the stored one."""
    data = _settings(data)
    if _text(data, "issuer", 500) != issuer.typed:
        raise ValueError("save_config got the checked issuer of other data")  # a caller's mistake, not input
    existing = get_config(conn, organization_id)
    issuer_url = issuer.url
    client_id = str(_text(data, "client_id", 300))
    secret = _text(data, "client_secret", 2000) if existing is None or "client_secret" in data else None
    domains = _domains(conn, organization_id, data.get("domains"))
    role_claim, pairs, default = _roles(data)
    values = {"issuer": issuer_url, "client_id": client_id, "role_claim": role_claim, "role_map": pairs,
              "default_role": default.value, "create_accounts": _flag(data, "create_accounts"),
              "sync_roles": _flag(data, "sync_roles"),
              "idp_enforces_mfa": _flag(data, "idp_enforces_mfa"), "updated_at": utcnow(), "updated_by": actor}
    if secret is not None:
        values["client_secret_sealed"] = _seal(conn, organization_id, secret)
    if existing is None:
        conn.execute(sso_configs.insert().values(organization_id=organization_id, **values))
    else:
        conn.execute(sso_configs.update().where(sso_configs.c.organization_id == organization_id).values(**values))
    conn.execute(sso_domains.delete().where(sso_domains.c.organization_id == organization_id))
    conn.execute(sso_domains.insert(), [{"domain": d, "organization_id": organization_id} for d in domains])
    audit.record(conn, "sso.configured", organization_id=organization_id, actor=actor, target=issuer_url,
                 address=address,
                 detail={"client_id": client_id, "domains": domains, "create_accounts": values["create_accounts"],
                         "sync_roles": values["sync_roles"],
                         "idp_enforces_mfa": values["idp_enforces_mfa"], "secret_changed": secret is not None})
    saved = get_config(conn, organization_id)
    assert saved is not None
    return saved


def delete_config(conn: Connection, organization_id: str, *, actor: str, address: str | None = None) -> None:
    """Turn single sign-on off: members sign in with their passwords (or a reset link) again."""
    existing = get_config(conn, organization_id)
    if existing is None:
        raise NotFound("your organization has no single sign-on set up", field=None)
    conn.execute(sso_flows.delete().where(sso_flows.c.organization_id == organization_id))
    conn.execute(sso_domains.delete().where(sso_domains.c.organization_id == organization_id))
    conn.execute(sso_configs.delete().where(sso_configs.c.organization_id == organization_id))
    audit.record(conn, "sso.removed", organization_id=organization_id, actor=actor, target=existing.issuer,
                 address=address)
