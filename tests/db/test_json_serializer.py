"""The engines write JSON columns with orjson (db/engine.py, dumps_json): every value reads back as
what ``json.dumps`` (SQLAlchemy's default before) would have stored, and what ``json.dumps``
refused is still refused. Fuzzed against the standard library, then through both databases."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from newsbridge.db.engine import dumps_json, writing
from newsbridge.db.tables import item_versions, items
from tests.json_values import same_json

AWKWARD = ["a", "Қ", "ә", "й", "ё", "ی", "ك", "\u200c", "\u202e", "\x00", "\x1f", "\"", "\\", "/", "\n", "\t",
           "\u2028", "😀", "\ud800", "\udfff", "\ufeff", "é", " ", "<", "&"]
NUMBERS: list[Any] = [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 + 5, -(2**70), 1.5, -0.0, 1e16, 1e-7, 1.7976931348623157e308,
                      5e-324, float("nan"), float("inf"), float("-inf"), True, False, None]


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 4 or kind < 0.35:
        return "".join(rng.choice(AWKWARD) for _ in range(rng.randint(0, 8)))
    if kind < 0.6:
        return rng.choice(NUMBERS)
    if kind < 0.8:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys: list[Any] = ["".join(rng.choice(AWKWARD) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.05:
        keys.append(rng.choice([1, 2.5, True, None]))  # json.dumps writes non-string keys as strings
    return {key: _value(rng, depth + 1) for key in keys}


def test_fuzzed_values_read_back_as_json_dumps_wrote_them() -> None:
    rng = random.Random(17)
    for _ in range(20_000):
        value = _value(rng)
        try:
            before = json.loads(json.dumps(value))
        except (TypeError, ValueError) as exc:
            with pytest.raises(type(exc)):
                dumps_json(value)
            continue
        assert same_json(json.loads(dumps_json(value)), before), value


@pytest.mark.parametrize("value", [{"when": datetime(2026, 1, 1, tzinfo=timezone.utc)}, {"x": {1, 2}}, {"b": b"x"},
                                   {(1, 2): "tuple key"}])
def test_what_json_dumps_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        dumps_json(value)


def test_text_is_utf8_not_escapes() -> None:
    assert dumps_json({"headline": "Қазақстан", "fa": "ایران"}) == '{"headline":"Қазақстан","fa":"ایران"}'
    assert dumps_json({"x": float("nan")}) == '{"x": NaN}'  # as json.dumps wrote it; orjson would write null


def test_documents_read_back_equal_on_both_databases(engine, make_partner) -> None:
    document = {"uri": "urn:x", "type": "text", "version": "1", "headline": "Қазақстан ایران",
                "nested": [{"a": None, "b": 1.25, "c": "\u200c"}]}
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    org_id = make_partner().org.id
    with writing(engine) as conn:
        conn.execute(items.insert().values(id="i1", organization_id=org_id, uri="urn:x", latest_version=1,
                                           pubstatus="usable", created_at=now, updated_at=now))
        conn.execute(item_versions.insert().values(item_id="i1", version=1, content_hash="h", type="text",
                                                   pubstatus="usable", language_source="unknown", document=document,
                                                   received_at=now))
    with engine.connect() as conn:
        stored = conn.execute(sa.select(item_versions.c.document)).scalar_one()
        text = conn.execute(sa.select(sa.cast(item_versions.c.document, sa.Text))).scalar_one()
    assert stored == document
    assert json.loads(text) == document
    if engine.dialect.name == "sqlite":
        assert "Қазақстан" in text  # not \\u049a...
