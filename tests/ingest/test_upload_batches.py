"""A big uploaded file is stored in short transactions, one batch each; a small one whole or not at all.

One transaction for a 25,000-item file held SQLite's only write lock for tens of seconds, and
every other writer (a partner's publish, a sign-in) timed out behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from newsbridge.db.tables import item_versions, items
from newsbridge.errors import VersionConflict
from newsbridge.ingest import pipeline
from newsbridge.ingest.pipeline import Ingestor
from tests.conftest import count_rows

SUBJECT = [{"name": "mass media", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000045"}]


def _document(*items: tuple[str, str, str]) -> bytes:
    return json.dumps([{"uri": uri, "version": version, "language": "en", "subjects": SUBJECT,
                        "headlines": [{"role": "main", "value": headline}]}
                       for uri, version, headline in items]).encode()


@pytest.fixture
def commits(engine: Engine) -> Iterator[list[int]]:
    """Every commit the engine makes while the test runs."""
    seen: list[int] = []

    def count(_conn: object) -> None:
        seen.append(1)

    event.listen(engine, "commit", count)
    yield seen
    event.remove(engine, "commit", count)


@pytest.fixture
def batch_of_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 3)


def test_a_file_larger_than_a_batch_commits_batch_by_batch(engine, settings, make_partner, commits,
                                                           batch_of_three) -> None:
    partner = make_partner()
    data = _document(*((f"urn:load:{n}", "1", f"Story {n}") for n in range(7)), ("urn:load:0", "2", "Story 0, again"))
    commits.clear()
    stored = Ingestor(engine, settings).ingest_document(partner.org, data)
    assert len(commits) == 3  # items 0-2, 3-5, 6 and the new version of item 0
    assert [(s.version, s.created) for s in stored] == [(1, True)] * 7 + [(2, True)]
    assert stored[0].item_id == stored[-1].item_id
    assert (count_rows(engine, items), count_rows(engine, item_versions)) == (7, 8)


def test_a_conflict_in_a_later_batch_keeps_the_batches_before_and_says_so(engine, settings, make_partner,
                                                                          batch_of_three) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    ingestor.ingest_document(partner.org, _document(("urn:load:5", "3", "Stored before")))
    data = _document(*((f"urn:load:{n}", "1", f"Story {n}") for n in range(7)))
    with pytest.raises(VersionConflict) as refused:
        ingestor.ingest_document(partner.org, data)
    assert refused.value.field == "[5].version"
    assert refused.value.message.startswith("item 5: version 1 of urn:load:5 is not newer")
    assert "items 0 to 2 were stored before it, nothing after" in refused.value.message
    assert (count_rows(engine, items), count_rows(engine, item_versions)) == (1 + 3, 1 + 3)
    # resending the corrected file stores the rest; what was stored answers unchanged
    fixed = _document(*((f"urn:load:{n}", "4" if n == 5 else "1", f"Story {n}") for n in range(7)))
    assert [s.created for s in ingestor.ingest_document(partner.org, fixed)] == [False] * 3 + [True] * 4


def test_a_file_of_one_batch_is_stored_whole_or_not_at_all(engine, settings, make_partner) -> None:
    partner = make_partner()
    ingestor = Ingestor(engine, settings)
    ingestor.ingest_document(partner.org, _document(("urn:small:2", "2", "Stored before")))
    with pytest.raises(VersionConflict) as refused:
        ingestor.ingest_document(partner.org, _document(("urn:small:1", "1", "One"), ("urn:small:2", "1", "Two")))
    assert refused.value.field == "[1].version" and refused.value.message.endswith("; nothing was stored")
    assert count_rows(engine, items) == 1
