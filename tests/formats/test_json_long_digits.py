"""load_json finds nineteen ASCII digits in a row (what it leaves to json.loads) in the text's UTF-8
bytes, every digit made "0" (formats/json_safety.py): the same texts as ``[0-9]{19}`` finds; and orjson
reads those bytes as json.loads reads the text, a byte-order mark or a raw surrogate included."""

from __future__ import annotations

import json
import random
import re

import pytest

from newsbridge.formats.json_safety import _DIGITS_ALONE, _LONG_DIGITS, _loads, _utf8
from tests.json_values import same_json

PIECES = ["0", "7", "9", "12345", "٣", "۴", "１", "²", "a", "Қ", "ت", "😀", " ", "\n", "-", ".", "e", '"', "\x00", "\u0660"]


def test_long_digits_are_found_where_the_regular_expression_finds_them() -> None:
    rng = random.Random(5)
    long_ones = 0
    for _ in range(40_000):
        text = "".join(rng.choice(PIECES[:3] if rng.random() < 0.8 else PIECES) for _ in range(rng.randint(0, 40)))
        expected = re.search("[0-9]{19}", text) is not None
        data = _utf8(text)
        assert data is not None
        assert (_LONG_DIGITS in data.translate(_DIGITS_ALONE)) == expected, text
        long_ones += expected
    assert long_ones > 1_000


@pytest.mark.parametrize("text", [
    "\ufeff[1]", '["\ufeff"]', '["\ud800"]', '{"a": "\udc00x"}', '[1234567890123456789]', '[123456789012345678]',
    '{"n": -12345678901234567890, "s": "1234567890123456789012"}', '"١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠"', "[1e400]", "",
])
def test_odd_texts_read_as_json_loads_reads_them(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            _loads(text)
        return
    assert same_json(_loads(text), expected)  # values and their types (an integer stays one)


def test_bytes_read_as_their_text_is_read() -> None:
    """decode_json reads a document's bytes directly (read_utf8_json) when load_json would read its
    text to the same document: fuzzed documents, with and without a byte-order mark, as UTF-8 and not."""
    from newsbridge.formats.json_safety import UNREAD, load_json, read_utf8_json
    from newsbridge.formats.errors import FormatError
    from tests.formats.test_json_loads_fast import TOKENS, _document

    rng = random.Random(23)
    direct = 0
    for _ in range(20_000):
        text = _document(rng) if rng.random() < 0.8 else "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 8)))
        if rng.random() < 0.1:
            text = "\ufeff" + text
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.05:
            data = data[:len(data) // 2] + b"\xff" + data[len(data) // 2:]
        found = read_utf8_json(data)
        if found is UNREAD:
            continue
        direct += 1
        expected = load_json(data.decode("utf-8-sig"), format="ninjs")  # it never refuses what was read directly
        assert same_json(found, expected), data
    assert direct > 5_000
    with pytest.raises(FormatError):
        load_json('["\\u0000"]', format="ninjs")
    assert read_utf8_json(b'["\\u0000"]') is UNREAD and read_utf8_json(b'["\\ud800"]') is UNREAD
    assert read_utf8_json(b"[" * 65 + b"]" * 65) is UNREAD and read_utf8_json(b"[1234567890123456789]") is UNREAD
    assert read_utf8_json(b'["\xed\xa0\x80"]') is UNREAD  # a surrogate written in UTF-8's form: not UTF-8
