"""ID token verification (accounts/oidc_flow.py) over tokens signed here with joserfc: the signature against the
directory's key set, and iss, aud, azp, exp, nonce and sub, each wrong in turn; and the role a claim maps to."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from newsbridge.accounts.members import Role
from newsbridge.accounts.oidc import SsoConfig
from newsbridge.accounts.oidc_flow import SsoRefused, verify_id_token

ISSUER, CLIENT, NONCE = "https://idp.example/realms/agency", "newsbridge", "n-123"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, another key
PUBLISHED = KeySet.import_key_set({"keys": [KEY.as_dict(private=False)]})


def token(key: RSAKey = KEY, alg: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "u1", "iat": now, "exp": now + 300, "nonce": NONCE,
              "email": "a@agency.example", **changes}
    return jwt.encode({"alg": alg, "kid": "k1"}, {k: v for k, v in claims.items() if v is not None}, key)


def test_a_right_token_gives_its_claims() -> None:
    assert verify_id_token(token(), ISSUER, CLIENT, NONCE, PUBLISHED)["email"] == "a@agency.example"
    several = token(aud=[CLIENT, "other"], azp=CLIENT)
    assert verify_id_token(several, ISSUER, CLIENT, NONCE, PUBLISHED)["azp"] == CLIENT


@pytest.mark.parametrize("made, why", [
    (lambda: token(key=OTHER), "published keys"),
    (lambda: token()[:-4] + "AAAA", "published keys"),
    (lambda: jwt.encode({"alg": "HS256"}, {"iss": ISSUER, "aud": CLIENT, "sub": "u", "nonce": NONCE,
                                           "exp": int(time.time()) + 60}, OctKey.import_key("a shared secret of 32 bytes or more")),
     "published keys"),
    (lambda: token(nonce="another"), "nonce"),
    (lambda: token(nonce=None), "nonce"),
    (lambda: token(aud="someone-else"), "aud"),
    (lambda: token(iss=ISSUER + "/other"), "iss"),
    (lambda: token(exp=int(time.time()) - 120), "exp"),
    (lambda: token(sub=None), "sub"),
    (lambda: token(aud=[CLIENT, "other"], azp="other"), "azp"),
])
def test_a_wrong_token_is_refused_saying_what(made, why: str) -> None:
    with pytest.raises(SsoRefused) as refused:
        verify_id_token(made(), ISSUER, CLIENT, NONCE, PUBLISHED)
    assert why in refused.value.message and refused.value.code == "sso_refused"


def _config(**changes: Any) -> SsoConfig:
    values: dict[str, Any] = {"organization_id": "o", "issuer": ISSUER, "client_id": CLIENT, "domains": ("a.example",),
                              "role_claim": "groups", "roles": (("staff", Role.VIEWER), ("desk", Role.EDITOR),
                                                                ("admins", Role.ADMIN)),
                              "default_role": Role.VIEWER, "create_accounts": True, "idp_enforces_mfa": False,
                              "updated_at": datetime.now(timezone.utc), "updated_by": "test"}
    return SsoConfig(**{**values, **changes})


@pytest.mark.parametrize("claims, role", [
    ({"groups": ["staff", "admins", "desk"]}, Role.ADMIN),
    ({"groups": ["desk"]}, Role.EDITOR),
    ({"groups": "desk"}, Role.EDITOR),
    ({"groups": ["other"]}, Role.VIEWER),
    ({"groups": [1, {"x": "admins"}]}, Role.VIEWER),
    ({}, Role.VIEWER),
])
def test_the_highest_mapped_role_wins(claims: dict[str, Any], role: Role) -> None:
    assert _config().role_for(claims) == role
    assert _config(role_claim=None, default_role=Role.EDITOR).role_for(claims) == Role.EDITOR
