"""The agreement state machine: statuses, actions, and the one table of allowed transitions.

``sign`` is the only action whose target depends on more than the table: the agreement
becomes active when the last party signs the current terms, and stays proposed before that.
``expired`` is not stored: an active agreement past its ``valid_until`` day reads as expired.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from newsbridge.errors import Conflict


class Status(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"
    EXPIRED = "expired"  # derived, never stored


class Action(StrEnum):
    PROPOSE = "propose"
    AMEND = "amend"
    SIGN = "sign"
    SUSPEND = "suspend"
    END = "end"
    DECLINE = "decline"


# (from, action) -> to. Amending terms always needs every party to sign again.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.DRAFT, Action.PROPOSE): Status.PROPOSED,
    (Status.DRAFT, Action.AMEND): Status.DRAFT,
    (Status.DRAFT, Action.END): Status.ENDED,
    (Status.PROPOSED, Action.SIGN): Status.PROPOSED,  # ... or ACTIVE once every party signed
    (Status.PROPOSED, Action.AMEND): Status.PROPOSED,
    (Status.PROPOSED, Action.END): Status.ENDED,
    # A party says no to a proposal: it goes back to draft, where its terms can be amended and
    # proposed again (every party then signs anew); ending it is a separate, final decision.
    (Status.PROPOSED, Action.DECLINE): Status.DRAFT,
    (Status.ACTIVE, Action.AMEND): Status.PROPOSED,
    (Status.ACTIVE, Action.SUSPEND): Status.SUSPENDED,
    (Status.ACTIVE, Action.END): Status.ENDED,
    (Status.SUSPENDED, Action.PROPOSE): Status.PROPOSED,
    (Status.SUSPENDED, Action.AMEND): Status.PROPOSED,
    (Status.SUSPENDED, Action.END): Status.ENDED,
}


def next_status(current: Status, action: Action, *, all_signed: bool = False) -> Status:
    """Where ``action`` takes an agreement in ``current``; Conflict when it is not allowed."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == current)
        article = "an" if current.value[0] in "aeiou" else "a"
        raise Conflict(f"{article} {current.value} agreement cannot be {_past(action)}; "
                       f"allowed now: {', '.join(allowed) or 'nothing (it has ended)'}", field="status")
    if action is Action.SIGN and all_signed:
        return Status.ACTIVE
    return target


def effective_status(stored: Status, valid_until: date | None, today: date) -> Status:
    """What a reader sees: an active agreement past its last valid day has expired."""
    if stored is Status.ACTIVE and valid_until is not None and today > valid_until:
        return Status.EXPIRED
    return stored


def _past(action: Action) -> str:
    return {"propose": "proposed", "amend": "amended", "sign": "signed", "suspend": "suspended",
            "end": "ended", "decline": "declined"}[action.value]
