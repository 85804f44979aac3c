"""Errors of the pure format layer; ``ingest`` translates them into the hub's error tree."""

from __future__ import annotations

from typing import Literal

Kind = Literal["malformed", "invalid", "schema", "unknown"]


class FormatError(ValueError):
    """A document that cannot be read in its format.

    ``kind`` says how: ``unknown`` (no format we read), ``malformed`` (the bytes are not the
    format at all), ``schema`` (the format's schema rejects it) or ``invalid`` (a field's
    value is wrong). ``field`` names
    the place (a JSON path, an element, a line), ``format`` the format's name.
    """

    kind: Kind = "invalid"

    def __init__(self, message: str, *, field: str | None = None, format: str = "", kind: Kind | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.format = format
        if kind is not None:
            self.kind = kind
