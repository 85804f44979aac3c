"""The dateline place and the Media Topics as story signals: the place's key across scripts and
from a dateline opening the text; what each does to a pair's score when selected; both off by
default (measured in bench/stories.py: docs/stories.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pytest

from newsbridge.stories.clustering import (NO_SHARED_TOPIC_PENALTY, PLACE_WEIGHT, TOPIC_WEIGHT, Profile, Signals,
                                           pair_score)
from newsbridge.stories.evaluation import dateline
from newsbridge.stories.gazetteer import Gazetteer


@pytest.mark.parametrize(("located", "text", "key"), [
    ("Tehran", "", "tehran"),
    ("ТЕГЕРАН", "", "tehran"),
    ("تهران", "", "tehran"),
    ("Astana, Kazakhstan", "", "astana"),
    (None, "ТЕГЕРАН, 2 ноября. /ТАСС/. Министры встретились.", "tehran"),
    (None, "ASTANA (Kazinform) – The ministers met.", "astana"),
    ("Mashhad", "", "~mskd"),  # not in the gazetteer: its transliteration key
    ("Мешхед", "", "~mskd"),
    ("مشهد", "", "~mskd"),
    (None, "Президент Казахстана прибыл в Тегеран.", None),  # no dateline
    (None, "", None),
])
def test_a_dateline_place_has_one_key_in_every_script(located: str | None, text: str, key: str | None) -> None:
    assert Gazetteer().place(located, text) == key


def test_the_labelled_sets_stand_in_for_datelines_with_the_first_city_or_the_agency_s_home() -> None:
    gazetteer = Gazetteer()
    item = {"org": "tass", "headline": "Пожар в Актау", "body": "В Атырау и Актау…"}
    assert dateline(item, gazetteer) == "aktau"  # the first city the text names
    assert dateline({**item, "headline": "Пожар", "body": "Погиб человек."}, gazetteer) == "moscow"
    assert dateline({**item, "located": "Алматы"}, gazetteer) == "almaty"  # an item's own located first


def _profile(item_id: str, place: str | None = None, topics: frozenset[str] = frozenset()) -> Profile:
    vector = np.ones(4) / 2.0
    when = datetime(2026, 11, 2, tzinfo=timezone.utc)
    return Profile(item_id, f"org-{item_id}", "ru" if item_id == "a" else "kk", when, vector, frozenset({"tehran"}),
                   frozenset(), place, topics)


def _score(a: Profile, b: Profile, use: Signals) -> float:
    match = pair_score(a, b, use)
    assert match is not None
    return match.score


def test_a_shared_dateline_place_adds_its_weight_when_selected() -> None:
    a, b = _profile("a", "tehran"), _profile("b", "tehran")
    off = _score(a, b, Signals())
    assert _score(a, b, Signals(place=True)) == pytest.approx(off + PLACE_WEIGHT)
    assert _score(a, _profile("b", "moscow"), Signals(place=True)) == pytest.approx(off)  # no penalty
    assert _score(a, _profile("b"), Signals(place=True)) == pytest.approx(off)
    match = pair_score(a, b, Signals(place=True))
    assert match is not None and match.evidence["place"] == "tehran"


def test_media_topics_add_when_shared_and_take_off_when_disjoint_when_selected() -> None:
    economy, politics = frozenset({"medtop:04000000"}), frozenset({"medtop:11000000"})
    a = _profile("a", topics=economy | politics)
    off = _score(a, _profile("b", topics=economy), Signals())
    use = Signals(topics=True)
    assert _score(a, _profile("b", topics=economy), use) == pytest.approx(off + TOPIC_WEIGHT)
    assert _score(_profile("a", topics=politics), _profile("b", topics=economy), use) == pytest.approx(
        off - NO_SHARED_TOPIC_PENALTY)
    assert _score(a, _profile("b"), use) == pytest.approx(off)  # an item without topics: no evidence either way


def test_place_and_topics_are_off_by_default() -> None:
    assert not Signals().place and not Signals().topics
    economy = frozenset({"medtop:04000000"})
    a, b = _profile("a", "tehran", economy), _profile("b", "tehran", economy)
    assert _score(a, b, Signals()) == _score(a, b, replace(Signals(), place=False, topics=False))
