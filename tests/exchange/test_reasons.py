"""Routing reasons are facts with an English sentence; the sentence a delivery stores reads back to the same facts,
so the desk can word a stored reason in the member's language."""

from __future__ import annotations

import pytest

from newsbridge.exchange.routing import Reason, read_reason

TITLE = "Kazakhstan–Iran media cooperation (TV; Radio – IRNA) 'daily'"


@pytest.mark.parametrize("reason", [
    Reason("shares", TITLE),
    Reason("shares", TITLE, topics=("medtop:04000000", "medtop:11000000")),
    Reason("shares", TITLE, languages=("fa",)),
    Reason("shares", TITLE, types=("picture",)),
    Reason("shares", TITLE, topics=("medtop:11000000",), languages=("en",), types=("text",)),
    Reason("earlier", TITLE),
    Reason("earlier", ""),
])
def test_a_stored_reason_reads_back_to_its_facts(reason: Reason) -> None:
    assert read_reason(reason.text(), reason.agreement) == reason


def test_the_english_sentence_is_the_one_the_api_has_always_sent() -> None:
    assert Reason("shares", "A", topics=("medtop:11000000",), languages=("en",)).text() == \
        "received under agreement 'A' because it shares topic politics (medtop:11000000); language en"


@pytest.mark.parametrize("text, title", [
    ("received under agreement 'Old name' because it shares all items", "New name"),  # renamed since
    ("something a person wrote", "A"),
])
def test_a_reason_that_is_not_routings_own_is_left_as_it_is(text: str, title: str) -> None:
    assert read_reason(text, title) is None
