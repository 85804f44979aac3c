"""The demo hub's operator: someone to sign in to the operator console (/operator) with, printed next to
the desk's sign-in. The demo has no mail server, so invitations (by the demo's admins on Team and keys,
or by this operator) show their link on the page, to open in another browser."""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Engine

from newsbridge.accounts.members import hash_password
from newsbridge.accounts.operators import add_operator
from newsbridge.db.engine import writing

OPERATOR_EMAIL = "operator@hub.example"


def load_demo_operator(engine: Engine) -> tuple[str, str]:
    """Add the demo's operator; returns (e-mail, password), shown once."""
    password = secrets.token_urlsafe(12)
    hashed = hash_password(password)
    with writing(engine) as conn:
        add_operator(conn, OPERATOR_EMAIL, "Demo hub operator", hashed)
    return OPERATOR_EMAIL, password
