"""Identifiers and clocks shared by every service."""

from __future__ import annotations

from datetime import datetime, timezone

from ulid import ULID


def new_id() -> str:
    """A new time-ordered, unguessable-enough id (ULID, 26 characters)."""
    return str(ULID())


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
