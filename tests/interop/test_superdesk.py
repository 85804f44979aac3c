"""Superdesk reads what the hub sends it: its own open-source parsers (superdesk-core 2.5.3's
``NINJSFeedParser`` and ``NewsMLTwoFeedParser``) run on the hub's ``ninjs1-superdesk`` and
``newsml-g2-superdesk`` output of every item in the output corpus (every real agency file, IPTC
listing and demo wire, through the real pipeline), a richly formatted item and a withdrawal.

The parsers run in a separate virtual environment (AGPL: a test client only, never imported here;
``superdesk_env.py`` builds it, ``make test`` first), in a subprocess (``superdesk_runner.py``) that
prints what they read as JSON. Headline, body HTML, language, subjects, version, pubstatus and the
withdrawal must come through for every item.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.formats.item import Item
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.ingest.text import html_to_text
from newsbridge.db.engine import reading
from newsbridge.items.queries import get_item
from newsbridge.items.render import render, render_newsml
from newsbridge.vocab.subjectcodes import SUBJECTCODE_PREFIX, subject_code_subjects
from tests.formats.outputs import Stored, corpus_files, ingest_corpus_file, withdrawn_version
from tests.interop.superdesk_env import ensure, subject_codes

RUNNER = Path(__file__).with_name("superdesk_runner.py")
RICH_HTML = ('<h2>Talks</h2><p>The ministers met in <b>Astana</b> and <i>agreed</i>:</p>'
             '<ul><li>a joint newsroom</li><li>exchanges of staff</li></ul><p>More <em>later</em>.</p>')


@pytest.fixture(scope="session")
def superdesk() -> Path:
    return ensure()  # built by `make test` already; a plain pytest run builds it here (about 15 s, once)


def run_parser(python: Path, kind: str, files: list[Path]) -> dict[str, dict[str, Any]]:
    done = subprocess.run([str(python), str(RUNNER), kind, *map(str, files)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return {entry["file"]: entry for entry in json.loads(done.stdout)}


def words(markup: str | None) -> str:
    """The text of some HTML with all white space removed: what must survive whatever the markup."""
    return re.sub(r"\s+", "", html_to_text(markup or "") if markup else "")


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


def headline(doc: dict[str, Any]) -> str | None:
    return next((h["value"] for h in doc.get("headlines", []) if h.get("value")), None)


def expected_codes(doc: dict[str, Any]) -> list[str]:
    return [s["uri"].removeprefix(SUBJECTCODE_PREFIX) for s in subject_code_subjects(doc.get("subjects", []))]


@pytest.fixture
def corpus(engine: Engine, settings: Settings, make_partner) -> list[Stored]:  # type: ignore[no-untyped-def]
    source = make_partner("kazinform", timezone="Europe/Helsinki")
    stored = [s for path in corpus_files() for s in ingest_corpus_file(engine, settings, source.org, path)]
    ingestor = Ingestor(engine, settings)
    rich = ingestor.ingest_item(source.org, Item(
        uri="urn:newsbridge:test:rich", version="3", language="en", headline="Astana and Tehran sign a media pact",
        body_html=RICH_HTML, versioncreated=datetime(2026, 3, 21, 9, 30, 15, 123456, tzinfo=timezone.utc),
        subjects=[{"name": "media", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000045"},
                  {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}]))
    with reading(engine) as conn:
        stored.append(Stored("rich", get_item(conn, source.org, rich.item_id)))
    stored.append(withdrawn_version(engine, settings, source.org))
    return stored


def test_superdesk_reads_our_ninjs_1_profile(superdesk: Path, corpus: list[Stored], tmp_path: Path) -> None:
    files = {}
    for index, stored in enumerate(corpus):
        files[str(path := tmp_path / f"{index}.json")] = stored
        path.write_text(json.dumps(render(stored.record, fmt="ninjs1-superdesk"), ensure_ascii=False), "utf-8")

    read = run_parser(superdesk, "ninjs", [Path(f) for f in files])

    assert len(read) == len(corpus) >= 40
    for name, stored in files.items():
        assert "error" not in read[name], (stored.name, read[name])
        [got] = read[name]["items"]  # associations are not written: one item per document
        doc, version = stored.record.latest.document, stored.record.latest
        sent = render(stored.record, fmt="ninjs1-superdesk")
        assert got["guid"] == f"{stored.record.uri}:{version.version}", stored.name  # the version comes through
        assert got.get("headline") == sent.get("headline") == headline(doc), stored.name
        assert got["pubstatus"] == doc.get("pubStatus", "usable"), stored.name
        assert got.get("language") == doc.get("language"), stored.name
        created = utc(doc["versionCreated"]) if "versionCreated" in doc else version.received_at  # else: stored
        assert utc(got["versioncreated"]) == created.replace(microsecond=0), stored.name
        if doc.get("pubStatus") == "canceled":
            assert "body_html" not in got and "subject" not in got, stored.name  # the notice: nothing withdrawn
            continue
        html = next((b["value"] for b in doc.get("bodies", []) if "html" in b.get("contentType", "")), None)
        assert got.get("body_html") == html, stored.name
        assert [s["qcode"] for s in got.get("subject", [])] == expected_codes(doc), stored.name
    rich = next(read[n]["items"][0] for n, s in files.items() if s.name == "rich")
    assert rich["body_html"] == RICH_HTML and [s["qcode"] for s in rich["subject"]] == ["01026000", "11000000"]
    assert rich["versioncreated"] == "2026-03-21T09:30:15+00:00"  # no fractions: Superdesk reads none


def test_superdesk_reads_our_newsml_g2_profile(superdesk: Path, corpus: list[Stored], tmp_path: Path) -> None:
    files = {}
    for index, stored in enumerate(corpus):
        if stored.record.latest.document.get("type") == "composite":
            continue  # no newsItem form (the output validity tests check that it is refused)
        files[str(path := tmp_path / f"{index}.xml")] = stored
        path.write_bytes(render_newsml(stored.record.latest, "superdesk"))
    subject_names = subject_codes()

    read = run_parser(superdesk, "newsml2", [Path(f) for f in files])

    assert len(read) == len(files) >= 40
    for name, stored in files.items():
        assert "error" not in read[name], (stored.name, read[name])
        [got] = read[name]["items"]
        doc, version = stored.record.latest.document, stored.record.latest
        assert (got["uri"], got["version"]) == (stored.record.uri, str(version.version)), stored.name
        assert (got["headline"] or None) == headline(doc), stored.name
        assert got["pubstatus"] == doc.get("pubStatus", "usable"), stored.name
        assert got.get("language") == doc.get("language"), stored.name
        if doc.get("pubStatus") == "canceled":
            assert not got.get("body_html") and got["subject"] == [], stored.name
            continue
        html = next((b["value"] for b in doc.get("bodies", []) if "html" in b.get("contentType", "")), None)
        assert words(got.get("body_html")) == words(html), stored.name  # every word of the body, in order
        # every Subject Code of its Media Topics that Superdesk knows, named as Superdesk names it
        codes = [c for c in expected_codes(doc) if c in subject_names]
        assert [(s["qcode"], s["name"]) for s in got["subject"]] == [(c, subject_names[c]) for c in codes], \
            stored.name
    rich = next(read[n]["items"][0] for n, s in files.items() if s.name == "rich")
    assert rich["body_html"].count("<li>") == 2 and "<b>Astana</b>" in rich["body_html"]
    assert "<h2>Talks</h2>" in rich["body_html"] and "<i>agreed</i>" in rich["body_html"]


def test_the_standard_newsml_g2_keeps_the_xhtml_body_for_superdesk(superdesk: Path, corpus: list[Stored],
                                                                   tmp_path: Path) -> None:
    # Superdesk keeps the last body of a contentSet: the plain text used to come last and overwrite the XHTML
    rich = next(s for s in corpus if s.name == "rich")
    (path := tmp_path / "rich.xml").write_bytes(render_newsml(rich.record.latest))

    [got] = run_parser(superdesk, "newsml2", [path])[str(path)]["items"]

    assert got["body_html"].startswith("<h2>Talks</h2>\n<p>") and got["headline"] == rich.record.latest.document[
        "headlines"][0]["value"]
