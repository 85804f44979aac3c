"""load_json skips the walk of check_json only for text that certainly passes it (json_safety._plainly_safe)."""

from __future__ import annotations

import json
import random

import pytest

from newsbridge.formats.errors import FormatError
from newsbridge.formats.json_safety import MAX_DEPTH, _plainly_safe, check_json, load_json

REFUSED = [
    '{"a": "x\\u0000y"}', '{"a\\u0000": 1}', '{"a": "\\ud800"}', '{"a": "\\uDFFF tail"}', '["\\udc00"]',
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
    '{"a": "\ud800"}',  # a raw surrogate in the text itself
]


@pytest.mark.parametrize("text", REFUSED)
def test_what_the_walk_refuses_is_still_refused(text: str) -> None:
    assert not _plainly_safe(text)
    with pytest.raises(FormatError):
        load_json(text, format="ninjs")


@pytest.mark.parametrize("text", [
    '{"a": "caf\\u00e9", "b": ["\\ud83d\\ude00"]}',  # a surrogate pair is fine: the walk says so
    '{"a": "\\\\u0000 is text here"}',  # an escaped backslash: not a NUL, the walk says so
    "[" * MAX_DEPTH + "]" * MAX_DEPTH, '{"headline": "Қазақстан", "body": "ایران"}',
])
def test_what_the_walk_accepts_is_accepted(text: str) -> None:
    assert load_json(text, format="ninjs") == json.loads(text)


def _random_value(rng: random.Random, depth: int) -> object:
    kind = rng.random()
    if depth > 3 or kind < 0.4:
        return rng.choice(["x", "Қ", "ی", "\u0000", "\ud800", "\ud83d\ude00", 1, None, "[{", "\\u0000"])
    if kind < 0.7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["a", "b", "\u0000k"]): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def test_plainly_safe_text_always_passes_the_walk() -> None:
    rng = random.Random(5)
    skipped = 0
    for _ in range(5000):
        value = _random_value(rng, 0)
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
        if _plainly_safe(text):
            skipped += 1
            check_json(json.loads(text), format="ninjs")  # would raise if the shortcut were wrong
    assert skipped > 500
