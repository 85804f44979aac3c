"""load_json reads JSON with orjson where orjson reads it as json.loads does (formats/json_safety.py,
_loads): fuzzed against json.loads, values, types and key order, and the errors json.loads raises."""

from __future__ import annotations

import json
import math
import random

import pytest

from newsbridge.formats.json_safety import _loads
from tests.json_values import same_json

TOKENS = ["{", "}", "[", "]", ",", ":", '"a"', '"b"', '"a"', '"Қаз"', '"\\u00e9"', '"\\ud800"', '"\\ud83d\\ude00"',
          '"\\u0000"', '"x\\ny"', '"\t"', '"\\/"', "0", "-0", "-0.0", "1", "12", "1.5", "1e3", "1E-7", "1e400",
          "-1e400", "2.2250738585072011e-308", "4.9e-324", "1e-400", "0.1", "0.30000000000000004",
          "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615",
          "18446744073709551616", "123456789012345678901234567890", "-9223372036854775809", "1.00000000000000011102",
          "NaN", "Infinity", "-Infinity", "true", "false", "null", " ", "\n", "01", "1.", ".5", "+1", "'a'"]


def _document(rng: random.Random, depth: int = 0) -> str:
    kind = rng.random()
    if depth > 5 or kind < 0.5:
        return rng.choice(TOKENS[6:])
    if kind < 0.75:
        return "[" + ",".join(_document(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    return "{" + ",".join(f'{rng.choice(TOKENS[6:13])}:{_document(rng, depth + 1)}'
                          for _ in range(rng.randint(0, 4))) + "}"


def test_fuzzed_documents_read_as_json_loads_reads_them() -> None:
    rng = random.Random(17)
    read = 0
    for _ in range(30_000):
        text = _document(rng) if rng.random() < 0.8 else "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 8)))
        try:
            expected = json.loads(text)
        except (ValueError, RecursionError) as exc:
            with pytest.raises(type(exc)):
                _loads(text)
            continue
        assert same_json(_loads(text), expected), text
        read += 1
    assert read > 10_000


def test_what_orjson_would_read_otherwise_is_read_by_json_loads() -> None:
    assert _loads("123456789012345678901234567890") == 123456789012345678901234567890
    assert isinstance(_loads("[-9223372036854775809]")[0], int)
    assert math.isinf(_loads("1e400")) and math.isnan(_loads("NaN"))
    assert _loads('"\\ud800"') == "\ud800"  # check_json refuses it afterwards, with its path
    assert list(_loads('{"a": 1, "b": 2, "a": 3}').items()) == [("a", 3), ("b", 2)]
    with pytest.raises(RecursionError):
        _loads("[" * 100_000 + "]" * 100_000)
