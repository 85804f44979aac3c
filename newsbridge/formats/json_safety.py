"""Untrusted JSON at the hub's boundary: read it, and refuse what no store or reader can hold.

Every JSON body a partner sends (ninjs items, JSON Feeds, agreement, endpoint and source
bodies) is read through :func:`load_json`. Beyond what ``json.loads`` checks it refuses, with
the JSON path of the first offending value:

* nesting deeper than :data:`MAX_DEPTH` levels (a news item needs about six; 100,000 levels
  would exhaust the parser's stack or every later walk over the document);
* a lone UTF-16 surrogate written as an escape (``"\\ud800"``): valid JSON syntax, but not a
  Unicode character, so it cannot be encoded, hashed or stored;
* a NUL character (``"\\u0000"``): PostgreSQL text cannot hold it and no news text needs it.

The walk is iterative (no recursion) and linear in the size of the document. Most documents
need no walk at all (:func:`_plainly_safe`): a NUL or a lone surrogate reaches a parsed string only
through a ``\\u`` escape naming one (``json.loads`` refuses raw control characters) or as a raw
surrogate in the text, and a document with at most :data:`MAX_DEPTH` brackets cannot nest deeper.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

from newsbridge.formats.errors import FormatError

MAX_DEPTH = 64
ErrorFactory = Callable[..., FormatError]  # (kind, message, field=...) -> the format's own error
# An escape that may name a NUL or a surrogate (a pair's halves too, and an escaped backslash before
# "u0000" text: the walk then decides).
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


# orjson reads a number of 19 digits or more (beyond 64-bit integers) as a float, where json.loads
# keeps the integer: such text is left to json.loads. JSON numbers are ASCII digits, and in UTF-8 the
# bytes of the ASCII digits stand for nothing else: the text's bytes with every digit made "0" and
# every other byte a space hold nineteen "0"s in a row where the text holds nineteen digits in a row
# (``[0-9]{19}``). Two C passes, ~1 µs of a 2 KiB item against 7 µs for that regular expression.
_DIGITS_ALONE = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGITS = b"0" * 19


def _utf8(text: str) -> bytes | None:
    """``text`` in UTF-8; None when it holds a raw surrogate (which no UTF-8 can hold)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _loads(text: str, data: bytes | None = None) -> Any:
    """``json.loads(text)``, read by orjson from ``data`` (the text in UTF-8, encoded here if not
    given) when it reads the text the same (three to four times faster): what orjson refuses (NaN,
    infinities and overflowing numbers, lone surrogates, deep nesting, any syntax error) and long
    numbers go to ``json.loads``, which decides and explains."""
    if data is None:
        data = _utf8(text)
    if data is not None and _LONG_DIGITS not in data.translate(_DIGITS_ALONE):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _plainly_safe(text: str, data: bytes | None = None) -> bool:
    """Whether ``text`` (``data``: the text in UTF-8, encoded here if not given), once parsed, certainly
    passes :func:`check_json` (see the module)."""
    if data is None:
        data = _utf8(text)  # None again: a raw surrogate
    return (data is not None and text.count("{") + text.count("[") <= MAX_DEPTH
            and ("\\u" not in text or _RISKY_ESCAPE.search(text) is None))


_RISKY_ESCAPE_BYTES = re.compile(_RISKY_ESCAPE.pattern.encode("ascii"))
_BOM = "\ufeff".encode("utf-8")
UNREAD = object()  # what :func:`read_utf8_json` answers when :func:`load_json` must read the text


def read_utf8_json(data: bytes) -> Any:
    """The document ``load_json(data.decode("utf-8-sig"), ...)`` gives, read from the bytes as they came
    (no decoding to text and encoding back, ~4 µs of a 2 KiB item) when that certainly gives it: orjson
    reads them (it refuses what is not UTF-8), they hold no long number, and they pass the checks of
    :func:`_plainly_safe` (valid UTF-8 holds no raw surrogate; brackets and escapes are ASCII, written
    alike in the bytes and the text). Otherwise :data:`UNREAD`: the text's reading decides and explains."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if (data.count(b"{") + data.count(b"[") > MAX_DEPTH or (b"\\u" in data and _RISKY_ESCAPE_BYTES.search(data))
            or _LONG_DIGITS in data.translate(_DIGITS_ALONE)):
        return UNREAD
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNREAD


def load_json(text: str, *, format: str, what: str = "the body", error: ErrorFactory | None = None,
              line_field: bool = False) -> Any:
    """``text`` parsed as JSON and checked with :func:`check_json`; the format's error (``malformed``)
    otherwise. ``error`` builds the format's own error class; ``line_field`` names a syntax error's
    field by its line (``line 3``) instead of ``body``."""
    make = error or (lambda kind, message, field=None: FormatError(message, field=field, format=format, kind=kind))
    data = _utf8(text)
    try:
        doc = _loads(text, data)
    except json.JSONDecodeError as exc:
        raise make("malformed", f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                   field=f"line {exc.lineno}" if line_field else "body") from None
    except RecursionError:
        raise make("malformed", f"{what} is nested more than {MAX_DEPTH} levels deep; send a flatter document",
                   field="body") from None
    try:
        if not _plainly_safe(text, data):
            check_json(doc, format=format, what=what)
    except FormatError as exc:
        raise make(exc.kind, exc.message, field=exc.field) from None
    return doc


def _problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (\\u0000); remove it"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (f"holds a lone surrogate (\\u{ord(text[exc.start]):04x}), which is not a Unicode character; "
                    "send text as UTF-8 or as escaped surrogate pairs")
    return None


def check_json(doc: Any, *, format: str, what: str = "the body") -> None:
    """Refuse too-deep nesting, lone surrogates and NUL characters anywhere in ``doc``."""
    stack: list[tuple[Any, str, int]] = [(doc, "$", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if problem := _problem(value):
                raise FormatError(f"{what}: the text at {path} {problem}", field=path, format=format,
                                  kind="malformed")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise FormatError(f"{what} is nested more than {MAX_DEPTH} levels deep at {path}; send a flatter "
                              "document", field=path, format=format, kind="malformed")
        if isinstance(value, dict):
            for key, child in value.items():
                if problem := _problem(key):
                    raise FormatError(f"{what}: the key {key[:40]!r} at {path} {problem}", field=path,
                                      format=format, kind="malformed")
                stack.append((child, f"{path}.{key}", depth + 1))
        else:
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(value))
