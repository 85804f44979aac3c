"""ninjs_major stops at the first key that tells (formats/ninjs.py): fuzzed against the walk it replaced."""

from __future__ import annotations

import random
from typing import Any

from newsbridge.formats.ninjs import _renames, ninjs_major


def _keys(value: Any, into: set[str]) -> set[str]:  # the previous walk, verbatim
    if isinstance(value, dict):
        into.update(value)
        for v in value.values():
            _keys(v, into)
    elif isinstance(value, list):
        for v in value:
            _keys(v, into)
    return into


def _previous(doc: dict[str, Any]) -> int:
    standard = doc.get("standard")
    if (isinstance(standard, dict) and str(standard.get("name", "")).lower() == "ninjs"
            and str(standard.get("version", ""))[:1] in ("2", "3")):
        return int(str(standard["version"])[0])
    up, _down, camel_only = _renames()
    keys = _keys(doc, set())
    if keys & camel_only:
        return 3
    if keys & set(up):
        return 2
    return 3


def _value(rng: random.Random, names: list[str], depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 4 or kind < 0.3:
        return rng.choice(["x", 1, None, True, 2.5])
    if kind < 0.55:
        return [_value(rng, names, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(names): _value(rng, names, depth + 1) for _ in range(rng.randint(0, 4))}


def test_fuzzed_documents_get_the_major_version_the_walk_gave() -> None:
    up, _down, camel = _renames()
    names = sorted(camel)[:12] + sorted(up)[:12] + ["uri", "type", "value", "name", "standard", "version", "ninjs",
                                                    "NINJS", "3.1", "2.2"]
    rng = random.Random(17)
    seen = set()
    for _ in range(20_000):
        doc = _value(rng, names)
        if not isinstance(doc, dict):
            continue
        if rng.random() < 0.1:
            doc["standard"] = {"name": rng.choice(["ninjs", "NINJS", "x"]), "version": rng.choice(["2.2", "3.1", "1"])}
        seen.add(_previous(doc))
        assert ninjs_major(doc) == _previous(doc), doc
    assert seen == {2, 3}
