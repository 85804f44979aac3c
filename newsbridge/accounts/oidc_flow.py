"""Signing in through an organization's directory: the OpenID Connect authorization code flow with PKCE.

1. :func:`discover` reads the directory's ``/.well-known/openid-configuration`` (and :func:`signing_keys` its
   JWKS) through the hub's SSRF guard: every request to the directory goes to an address
   ``targets.check_url`` passed, so an issuer URL cannot make the hub call its own network unless the
   operator allowed the range (``NEWSBRIDGE_ALLOW_PRIVATE_TARGETS``).
2. :func:`begin` keeps the sign-in under way in the database (a SHA-256 of its ``state``, the ``nonce`` and
   the PKCE verifier, ten minutes, used once) and gives the directory's URL, made by Authlib's client.
3. After the member signed in there, the directory sends the browser back with a code; :func:`take_flow`
   finds (and ends) the sign-in by its state, :func:`redeem` swaps the code and the verifier for an ID
   token at the token endpoint, with the client secret, and :func:`verify_id_token` checks it: signed by a
   key of the directory's JWKS, and ``iss``, ``aud``, ``exp`` and ``nonce`` right.
4. :func:`member_for` finds the member by e-mail within that organization (with ``sync_roles``, the claim
   sets their role each time), or creates one when the organization allows it (role from the claim), or
   joins the invitee the sign-in was for; it refuses an
   address outside the organization's domains, an unverified address, a deactivated member, a member of
   another organization, and a suspended organization.

Every refusal is :class:`SsoRefused` (403 ``sso_refused``) with what to do; a directory that cannot be
reached or answers nonsense is :class:`DirectoryUnavailable` (502 ``directory_unavailable``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.client import OAuth2Client
from authlib.oauth2.base import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.members import LOCALES, Member, Role, get_member
from newsbridge.accounts.oidc import SsoConfig, domain_of
from newsbridge.accounts.suspension import suspension_of
from newsbridge.accounts.team import LastAdmin, change_role
from newsbridge.db.invitation_tables import invitations
from newsbridge.db.sso_tables import sso_flows
from newsbridge.db.tables import members
from newsbridge.errors import Forbidden, NewsbridgeError
from newsbridge.ids import new_id, utcnow
from newsbridge.targets import check_url, host_header

FLOW_TTL = timedelta(minutes=10)
SCOPE = "openid email profile"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
CACHE_SECONDS = 600.0
LEEWAY = 60  # seconds of clock difference between the hub and the directory
NO_PASSWORD = "!sso"  # not an argon2 hash: password sign-in fails until the member sets one (reset link)


class SsoRefused(Forbidden):
    """A sign-in through the directory that the hub refuses; the message says why and what to do."""

    code = "sso_refused"

    def __init__(self, message: str, *, field: str | None = None, reason: str = "token") -> None:
        super().__init__(message, field=field)
        self.reason = reason  # which refusal, for the desk's words: see REASONS in web/views/sso.py


class DirectoryUnavailable(NewsbridgeError):
    """The organization's directory could not be reached, or its answer is not OpenID Connect."""

    status = 502
    code = "directory_unavailable"


class _GuardedTransport(httpx.BaseTransport):
    """Every request to a directory, to an address the SSRF guard checked (Host and TLS SNI keep the name)."""

    def __init__(self, allow: Sequence[str]) -> None:
        self.allow, self.inner = allow, httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = check_url(str(request.url), self.allow)
        headers = httpx.Headers(request.headers)
        headers["host"] = host_header(target)
        checked = httpx.Request(request.method, target.connect_url(), headers=headers, content=request.read(),
                                extensions={**request.extensions, "sni_hostname": target.host})
        return self.inner.handle_request(checked)

    def close(self) -> None:
        self.inner.close()


def _http(allow: Sequence[str]) -> httpx.Client:
    return httpx.Client(transport=_GuardedTransport(allow), timeout=10.0, follow_redirects=False, trust_env=False,
                        headers={"user-agent": "Newsbridge (single sign-on)"})


class _HttpxClientAuth(httpx.Auth, ClientAuth):
    """Authlib's client authentication (client_secret_basic / _post) applied to an httpx request."""

    requires_request_body = True

    def auth_flow(self, request: httpx.Request) -> Any:
        url, headers, body = self.prepare(request.method, str(request.url), request.headers, request.content)
        headers["Content-Length"] = str(len(body))
        yield httpx.Request(request.method, url, headers=headers, content=body, extensions=request.extensions)


class _Client(OAuth2Client):
    client_auth_class = _HttpxClientAuth


@dataclass(frozen=True)
class Directory:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    auth_methods: tuple[str, ...]


_directories: dict[str, tuple[float, Directory]] = {}  # a cache: each process reads the documents itself
_keys: dict[str, tuple[float, KeySet]] = {}


def _json(url: str, allow: Sequence[str], what: str) -> dict[str, Any]:
    try:
        with _http(allow) as http:
            response = http.get(url, headers={"accept": "application/json"})
        response.raise_for_status()
        found = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DirectoryUnavailable(f"the directory did not answer {what} at {url} ({type(exc).__name__}); check "
                                   "the issuer URL, or try again later", field="issuer") from None
    if not isinstance(found, dict):
        raise DirectoryUnavailable(f"the directory's {what} at {url} is not a JSON object", field="issuer")
    return found


def discover(issuer: str, allow: Sequence[str]) -> Directory:
    """The directory's endpoints from its OpenID configuration (cached ten minutes)."""
    cached = _directories.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    doc = _json(f"{issuer}/.well-known/openid-configuration", allow, "its OpenID configuration")
    if doc.get("issuer") != issuer:
        raise DirectoryUnavailable(f"the directory calls itself {str(doc.get('issuer'))[:200]!r}, not {issuer!r}; set "
                                   "the issuer URL exactly as its OpenID configuration states it", field="issuer")
    endpoints = [doc.get(name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    if not all(isinstance(e, str) and e.startswith(("https://", "http://")) for e in endpoints):
        raise DirectoryUnavailable("the directory's OpenID configuration lacks its endpoints", field="issuer")
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    directory = Directory(issuer, *endpoints, tuple(m for m in methods if isinstance(m, str)))  # type: ignore[arg-type]
    _directories[issuer] = (time.monotonic() + CACHE_SECONDS, directory)
    return directory


def signing_keys(directory: Directory, allow: Sequence[str], *, fresh: bool = False) -> KeySet:
    """The directory's public signing keys (cached; read again when a token names a key not known yet)."""
    cached = _keys.get(directory.jwks_uri)
    if cached and cached[0] > time.monotonic() and not fresh:
        return cached[1]
    try:
        keys = KeySet.import_key_set(_json(directory.jwks_uri, allow, "its signing keys"))  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError):
        raise DirectoryUnavailable(f"the signing keys at {directory.jwks_uri} cannot be read", field="issuer") from None
    _keys[directory.jwks_uri] = (time.monotonic() + CACHE_SECONDS, keys)
    return keys


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class Started:
    url: str  # where the browser goes: the directory's sign-in
    state: str  # also kept in a cookie of the browser that started, so another browser cannot finish it


def begin(conn: Connection, config: SsoConfig, directory: Directory, redirect_uri: str, next_path: str, *,
          login_hint: str | None = None, invitation_id: str | None = None) -> Started:
    """Keep a new sign-in under way and give the directory's authorization URL (code flow, PKCE S256)."""
    now = utcnow()
    conn.execute(sso_flows.delete().where(sso_flows.c.expires_at <= now))
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(24), secrets.token_urlsafe(64)
    conn.execute(sso_flows.insert().values(state_hash=_hash(state), organization_id=config.organization_id,
                                           nonce=nonce, code_verifier=verifier, next_path=next_path[:500],
                                           invitation_id=invitation_id, created_at=now, expires_at=now + FLOW_TTL))
    client = _Client(None, client_id=config.client_id, scope=SCOPE, redirect_uri=redirect_uri,
                     code_challenge_method="S256")
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = client.create_authorization_url(directory.authorization_endpoint, state=state, code_verifier=verifier,
                                             nonce=nonce, **extra)
    return Started(url, state)


@dataclass(frozen=True)
class Flow:
    organization_id: str
    nonce: str
    code_verifier: str
    next_path: str
    invitation_id: str | None


def take_flow(conn: Connection, state: str, cookie_state: str) -> Flow:
    """The sign-in under way that ``state`` names, ended now (a state works once). The browser must be the
    one that began it (its cookie holds the same state): a link from someone else signs nobody in."""
    if not state or not secrets.compare_digest(state.encode(), cookie_state.encode()):
        raise SsoRefused("this sign-in was not started in this browser, or took too long; start again from the "
                         "sign-in page", field="state", reason="browser")
    row = conn.execute(sa.select(sso_flows).where(sso_flows.c.state_hash == _hash(state))).first()
    taken = conn.execute(sso_flows.delete().where(sso_flows.c.state_hash == _hash(state))).rowcount if row else 0
    if row is None or taken != 1 or row.expires_at <= utcnow():
        raise SsoRefused("this sign-in is used or expired; start again from the sign-in page", field="state",
                         reason="browser")
    return Flow(row.organization_id, row.nonce, row.code_verifier, row.next_path, row.invitation_id)


def redeem(config: SsoConfig, secret: str, directory: Directory, flow: Flow, code: str, redirect_uri: str,
           allow: Sequence[str]) -> str:
    """The ID token the directory gives for ``code`` (with the client secret and the PKCE verifier)."""
    method = "client_secret_basic" if "client_secret_basic" in directory.auth_methods else "client_secret_post"
    try:
        with _http(allow) as http:
            client = _Client(http, client_id=config.client_id, client_secret=secret, redirect_uri=redirect_uri,
                             token_endpoint_auth_method=method, code_challenge_method="S256")
            token = client.fetch_token(directory.token_endpoint, code=code, code_verifier=flow.code_verifier)
    except OAuth2Error as exc:
        raise SsoRefused(f"the directory refused the sign-in code ({exc.error}); start again, and if it keeps "
                         "failing ask your IT department to check the client id and secret", field="code") from None
    except (httpx.HTTPError, ValueError) as exc:
        raise DirectoryUnavailable(f"the directory's token endpoint did not answer ({type(exc).__name__}); try "
                                   "again later", field="issuer") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoRefused("the directory sent no ID token: the hub must be allowed the openid scope", field="code")
    return id_token


def verify_id_token(id_token: str, issuer: str, client_id: str, nonce: str, keys: KeySet) -> dict[str, Any]:
    """The ID token's claims, once its signature verifies against ``keys`` and ``iss``, ``aud``, ``exp`` and
    ``nonce`` are right (SsoRefused otherwise, naming what was wrong)."""
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError) as exc:
        raise SsoRefused(f"the directory's ID token does not verify against its published keys "
                         f"({type(exc).__name__}); sign in again", field="id_token") from None
    registry = jwt.JWTClaimsRegistry(leeway=LEEWAY, iss={"essential": True, "value": issuer},
                                     aud={"essential": True, "value": client_id}, exp={"essential": True},
                                     sub={"essential": True}, nonce={"essential": True, "value": nonce})
    try:
        registry.validate(token.claims)
    except JoseError as exc:
        claim = getattr(exc, "claim", None) or str(exc.error)
        raise SsoRefused(f"the directory's ID token is not for this sign-in ({claim} is wrong or missing); sign in "
                         "again", field="id_token") from None
    audience = token.claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and token.claims.get("azp") != client_id:
        raise SsoRefused("the directory's ID token was issued to another client (azp)", field="id_token")
    return dict(token.claims)


def verified_claims(id_token: str, config: SsoConfig, directory: Directory, flow: Flow,
                    allow: Sequence[str]) -> dict[str, Any]:
    """:func:`verify_id_token` with the directory's keys, read again once if the token names a new key."""
    try:
        return verify_id_token(id_token, config.issuer, config.client_id, flow.nonce, signing_keys(directory, allow))
    except SsoRefused as exc:
        if exc.field != "id_token" or "published keys" not in exc.message:
            raise
    return verify_id_token(id_token, config.issuer, config.client_id, flow.nonce,
                           signing_keys(directory, allow, fresh=True))


def _email(claims: Mapping[str, Any], config: SsoConfig) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SsoRefused("the directory sent no e-mail address: the hub must be allowed the email scope (on Entra ID, "
                         "add the optional email claim)", field="email",
                         reason="no_email")
    if claims.get("email_verified") is False:
        raise SsoRefused(f"the directory has not verified {email}; verify it there, then sign in again", field="email",
                         reason="unverified")
    email = email.strip().lower()
    if domain_of(email) not in config.domains:
        raise SsoRefused(f"{email} is not an address of this organization ({', '.join(config.domains)}); sign in "
                         "with your organization's address", field="email", reason="domain")
    return email


def _join_invitee(conn: Connection, config: SsoConfig, invitation_id: str, email: str, name: str, locale: str,
                  address: str | None) -> Member:
    row = conn.execute(sa.select(invitations).where(invitations.c.id == invitation_id)).first()
    if row is None or row.used_at is not None or row.revoked_at is not None or row.expires_at <= utcnow() \
            or row.organization_id != config.organization_id:
        raise SsoRefused("this invitation is used or expired; ask your admin for a new one", field="token",
                         reason="invitation")
    if row.email != email:
        raise SsoRefused(f"the invitation is for {row.email}, but the directory signed in {email}; sign in there as "
                         f"{row.email}", field="email", reason="invitation_email")
    used = conn.execute(invitations.update().where(invitations.c.id == invitation_id, invitations.c.used_at.is_(None))
                        .values(used_at=utcnow()))
    if used.rowcount != 1:
        raise SsoRefused("this invitation was just used", field="token", reason="invitation")
    member = _create(conn, config, email, name, Role(row.role), locale)
    audit.record(conn, "member.joined", organization_id=config.organization_id, actor=email, address=address,
                 detail={"role": row.role, "via": "sso"})
    return member


def _create(conn: Connection, config: SsoConfig, email: str, name: str, role: Role, locale: str) -> Member:
    member_id = new_id()
    conn.execute(members.insert().values(id=member_id, organization_id=config.organization_id, email=email,
                                         name=name[:300] or email, role=role.value, created_at=utcnow(),
                                         locale=locale if locale in LOCALES else "en", password_hash=NO_PASSWORD))
    found = get_member(conn, member_id)
    assert found is not None
    return found


def member_for(conn: Connection, config: SsoConfig, flow: Flow, claims: Mapping[str, Any], *, locale: str = "en",
               address: str | None = None) -> Member:
    """The member the directory signed in (found, joined from the invitation, or created), or SsoRefused."""
    if suspension_of(conn, config.organization_id) is not None:
        raise SsoRefused("your organization's access to this hub is suspended by the hub operator; contact the "
                         "hub operator", field="organization", reason="suspended")
    email = _email(claims, config)
    name = str(claims.get("name") or "").strip()
    row = conn.execute(sa.select(members.c.id).where(members.c.email == email)).first()
    if flow.invitation_id is not None and row is None:
        return _join_invitee(conn, config, flow.invitation_id, email, name, locale, address)
    if row is None:
        if not config.create_accounts:
            raise SsoRefused(f"{email} has no account on this hub; ask an admin of your organization to invite you",
                             field="email", reason="no_account")
        member = _create(conn, config, email, name, config.role_for(claims), locale)
        audit.record(conn, "member.joined", organization_id=config.organization_id, actor=email, address=address,
                     detail={"role": member.role.value, "via": "sso", "created": True})
        return member
    member = get_member(conn, row.id)
    assert member is not None
    if member.organization_id != config.organization_id:
        raise SsoRefused(f"{email} is a member of another organization on this hub", field="email",
                         reason="other_org")
    if member.deactivated_at is not None:
        raise SsoRefused(f"{email} is deactivated in this organization; ask one of its admins", field="email",
                         reason="deactivated")
    return _synced_role(conn, config, member, claims, address)


def _synced_role(conn: Connection, config: SsoConfig, member: Member, claims: Mapping[str, Any],
                 address: str | None) -> Member:
    """With ``sync_roles``, the role the claim maps to (the default when none matches) replaces the member's,
    on the audit log as a role change by the directory; the organization's last active admin stays admin."""
    wanted = config.role_for(claims)
    if not config.sync_roles or not config.role_claim or wanted == member.role:
        return member
    try:
        return change_role(conn, config.organization_id, member.id, wanted.value, actor=f"directory {config.issuer}",
                           address=address)
    except LastAdmin:
        return member

