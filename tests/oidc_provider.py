"""A real OpenID Connect provider for the SSO tests, built on Authlib's provider side (its Flask integration).

``python -m tests.oidc_provider PORT`` serves, on 127.0.0.1:PORT, what Keycloak or Entra ID serve to a
relying party: discovery (``/.well-known/openid-configuration``), the signing keys (``/jwks``), an
authorization endpoint with a sign-in form (e-mail and password), and a token endpoint that checks the
client secret and the PKCE verifier and returns an RS256-signed ID token with the nonce, ``email`` and
``groups``. Authlib's ``AuthorizationCodeGrant`` + ``CodeChallenge`` + ``OpenIDCode`` do the protocol work.

The test fixture (:func:`running_provider`) starts it as a subprocess and sets it up over loopback-only
``/_test/*`` routes: clients, users (with their groups), and a way to misbehave once for the negative
tests (sign with a key not in the JWKS, a wrong nonce, another audience or issuer, an expired token).
"""

from __future__ import annotations

import hmac
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any

import httpx

MODES = ("", "other_key", "wrong_nonce", "wrong_audience", "wrong_issuer", "expired", "no_email")


@dataclass
class User:
    email: str
    password: str
    name: str
    groups: list[str] = field(default_factory=list)
    email_verified: bool = True

    @property
    def sub(self) -> str:
        return "sub-" + self.email


def build_app(issuer: str) -> Any:
    """The provider as a Flask app for ``issuer`` (its own base URL)."""
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2 import OAuth2Error
    from authlib.oauth2.rfc6749 import ClientMixin, grants
    from authlib.oauth2.rfc7636 import CodeChallenge
    from authlib.oidc.core import AuthorizationCodeMixin, UserInfo
    from authlib.oidc.core.grants import OpenIDCode
    from flask import Flask, jsonify, request
    from joserfc.jwk import RSAKey

    signing = RSAKey.generate_key(2048, parameters={"kid": "provider-1", "use": "sig", "alg": "RS256"})
    stranger = RSAKey.generate_key(2048, parameters={"kid": "provider-1", "use": "sig", "alg": "RS256"})
    clients: dict[str, Client] = {}
    users: dict[str, User] = {}
    codes: dict[str, Code] = {}
    state: dict[str, str] = {"mode": ""}

    @dataclass
    class Client(ClientMixin):
        client_id: str
        client_secret: str
        redirect_uris: list[str]

        def get_client_id(self) -> str:
            return self.client_id

        def get_default_redirect_uri(self) -> str:
            return self.redirect_uris[0]

        def get_allowed_scope(self, scope: str) -> str:
            return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile", "groups"))

        def check_redirect_uri(self, redirect_uri: str) -> bool:
            return redirect_uri in self.redirect_uris

        def check_client_secret(self, client_secret: str) -> bool:
            return hmac.compare_digest(client_secret, self.client_secret)

        def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
            return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

        def check_response_type(self, response_type: str) -> bool:
            return response_type == "code"

        def check_grant_type(self, grant_type: str) -> bool:
            return grant_type == "authorization_code"

    @dataclass
    class Code(AuthorizationCodeMixin):
        code: str
        client_id: str
        redirect_uri: str
        scope: str
        email: str
        nonce: str | None
        code_challenge: str | None
        code_challenge_method: str | None
        auth_time: int

        def get_redirect_uri(self) -> str:
            return self.redirect_uri

        def get_scope(self) -> str:
            return self.scope

        def get_nonce(self) -> str | None:
            return self.nonce

        def get_auth_time(self) -> int:
            return self.auth_time

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            data = req.payload.data
            codes[code] = Code(code, req.client.client_id, req.payload.redirect_uri, req.scope, req.user.email,
                               data.get("nonce"), data.get("code_challenge"), data.get("code_challenge_method"),
                               int(time.time()))

        def query_authorization_code(self, code: str, client: Any) -> Code | None:
            found = codes.get(code)
            return found if found is not None and found.client_id == client.client_id else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> User | None:
            return users.get(authorization_code.email)

    class IdToken(OpenIDCode):
        def resolve_client_private_key(self, client: Any) -> Any:
            return stranger if state["mode"] == "other_key" else signing

        def get_client_algorithm(self, client: Any) -> str:
            return "RS256"

        def get_encode_header(self, client: Any) -> dict[str, str]:
            return {"alg": "RS256", "kid": "provider-1"}

        def get_client_claims(self, client: Any) -> dict[str, Any]:
            now, mode = int(time.time()), state["mode"]
            return {"iss": issuer + "/other" if mode == "wrong_issuer" else issuer,
                    "aud": ["someone-else"] if mode == "wrong_audience" else [client.client_id],
                    "iat": now - 7200 if mode == "expired" else now,
                    "exp": now - 3600 if mode == "expired" else now + 300}

        def get_authorization_code_claims(self, authorization_code: Any) -> dict[str, Any]:
            claims = super().get_authorization_code_claims(authorization_code)
            if state["mode"] == "wrong_nonce":
                claims["nonce"] = "a-nonce-of-another-sign-in"
            return claims

        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.nonce == nonce for c in codes.values())

        def generate_user_info(self, user: User, scope: str) -> Any:
            info = UserInfo(sub=user.sub, name=user.name)
            if "email" in scope and state["mode"] != "no_email":
                info.update(email=user.email, email_verified=user.email_verified)
            info["groups"] = list(user.groups)
            return info

    app = Flask(__name__)
    server = AuthorizationServer(app, query_client=lambda client_id: clients.get(client_id),
                                 save_token=lambda token, req: None)
    server.register_grant(CodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify({"issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
                        "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/jwks",
                        "response_types_supported": ["code"], "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                        "scopes_supported": ["openid", "email", "profile", "groups"]})

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify({"keys": [signing.as_dict(private=False)]})

    def login_form(error: str = "", status: int = 200) -> Any:
        hidden = error and f'<p role="alert" id="error">{escape(error)}</p>'
        return (f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Agency directory</title></head>
<body><h1>Agency directory</h1>{hidden}
<form method="post" action="{escape(request.full_path)}">
<label for="username">E-mail</label> <input id="username" name="username" type="email" required>
<label for="password">Password</label> <input id="password" name="password" type="password" required>
<button type="submit" id="kc-login">Sign in</button></form></body></html>""", status)

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            server.get_consent_grant(end_user=None)
        except OAuth2Error as exc:
            return f"<!doctype html><p>{escape(exc.error)}: {escape(exc.description or '')}</p>", 400
        if request.method == "GET":
            return login_form()
        user = users.get(request.form.get("username", "").lower())
        if user is None or not hmac.compare_digest(user.password, request.form.get("password", "")):
            return login_form("Wrong e-mail or password.", 401)
        return server.create_authorization_response(grant_user=user)

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.post("/_test/clients")
    def add_client() -> Any:
        body = request.get_json()
        clients[body["client_id"]] = Client(body["client_id"], body["client_secret"], list(body["redirect_uris"]))
        return jsonify({"ok": True})

    @app.post("/_test/users")
    def add_user() -> Any:
        body = request.get_json()
        users[body["email"].lower()] = User(body["email"].lower(), body["password"], body.get("name", body["email"]),
                                            list(body.get("groups", [])), bool(body.get("email_verified", True)))
        return jsonify({"ok": True})

    @app.post("/_test/mode")
    def set_mode() -> Any:
        mode = request.get_json()["mode"]
        assert mode in MODES
        state["mode"] = mode
        return jsonify({"ok": True})

    return app


@dataclass
class Provider:
    """A running provider, as the tests drive it."""

    issuer: str

    def client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        httpx.post(f"{self.issuer}/_test/clients", json={"client_id": client_id, "client_secret": client_secret,
                                                         "redirect_uris": [redirect_uri]}).raise_for_status()

    def user(self, email: str, password: str, groups: list[str] | None = None, **extra: Any) -> None:
        httpx.post(f"{self.issuer}/_test/users", json={"email": email, "password": password,
                                                       "groups": groups or [], **extra}).raise_for_status()

    def mode(self, mode: str) -> None:
        httpx.post(f"{self.issuer}/_test/mode", json={"mode": mode}).raise_for_status()


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider as a subprocess on a free loopback port, until the block ends."""
    from tests.live_server import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield Provider(issuer)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    from werkzeug.serving import make_server

    port = int(sys.argv[1])
    make_server("127.0.0.1", port, build_app(f"http://127.0.0.1:{port}"), threaded=True).serve_forever()


if __name__ == "__main__":
    main()
