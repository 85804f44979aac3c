"""Golden expectations for the real agency files in tests/data/agencies/.

Each file has a JSON golden in tests/data/agencies/golden/ with the fields a partner relies on,
per item, as the pure readers give them (times read in :data:`ZONE`, the source's zone in the
tests). Regenerate deliberately, then read every changed golden before committing it:

    .venv/bin/python -m tests.formats.agency_golden --write [file-stem ...]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from newsbridge.formats.detect import parse_document
from newsbridge.formats.item import Item
from newsbridge.ingest.text import html_to_text

AGENCIES = Path(__file__).resolve().parents[1] / "data" / "agencies"
GOLDEN = AGENCIES / "golden"
ZONE = "Europe/Helsinki"  # the test organization's zone: files without zones are read in it
BODY_START = 80


def agency_files() -> list[Path]:
    return sorted(p for p in AGENCIES.glob("*/*") if p.parent.name != "golden" and p.name != "README.md")


def golden_path(path: Path) -> Path:
    return GOLDEN / f"{path.parent.name}--{path.stem}.json"


def body_start(text: str | None, html: str | None) -> str | None:
    """The start of the body as text, whitespace-normalized: what the desk shows first."""
    text = text or (html_to_text(html) if html else "")
    return " ".join(text.split())[:BODY_START] or None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def expected(item: Item) -> dict[str, Any]:
    return {
        "uri": item.uri, "version": item.version, "type": item.type, "pubStatus": item.pubstatus,
        "headline": item.headline, "bodyStart": body_start(item.body_text, item.body_html),
        "language": item.language, "firstCreated": _iso(item.firstcreated), "versionCreated": _iso(item.versioncreated),
        "embargoedUntil": _iso(item.embargoed), "urgency": item.urgency, "by": item.byline, "located": item.located,
        "subjects": [s.get("uri") or s.get("literal") or s.get("name") for s in item.subjects],
        "warnings": [w.code for w in item.warnings],
    }


def _text(item: dict[str, Any]) -> str:
    text = next((b["value"] for b in item.get("bodies", []) if b.get("contentType") == "text/plain"), "")
    return " ".join(text.split())


def check_stored(stored: dict[str, Any], golden: dict[str, Any]) -> None:
    """A stored item (as the API gives it) holds what the golden file expects."""
    if golden["headline"]:
        assert " ".join(stored["headlines"][0]["value"].split()) == " ".join(golden["headline"].split())
    if golden["bodyStart"]:  # the hub cleans text (control characters, spaces): compare the start loosely
        assert _text(stored).startswith(golden["bodyStart"][:40])
    if golden["language"]:
        assert stored["language"] == golden["language"] and stored["hub"]["languageSource"] == "declared"
    for key in ("firstCreated", "versionCreated", "embargoedUntil", "urgency", "pubStatus", "type"):
        if golden[key] is not None:
            assert stored[key] == golden[key], key
    if golden["by"]:
        assert stored["by"] == golden["by"]
    if golden["uri"]:
        assert stored["uri"] == golden["uri"]
    assert stored["hub"]["version"] == int(golden["version"] or 1)
    sent = {s.get("uri") or s.get("literal") or s.get("name") for s in stored.get("subjects", [])}
    assert set(golden["subjects"]) <= sent  # the source's subjects are kept (machine topics may be added)
    assert [w["code"] for w in stored["hub"]["warnings"]] == golden["warnings"]


def read(path: Path) -> list[dict[str, Any]]:
    return [expected(item) for item in parse_document(path.read_bytes(), zone=ZONE)]


def main(argv: list[str]) -> None:
    if "--write" not in argv:
        raise SystemExit(__doc__)
    stems = [a for a in argv if not a.startswith("--")]
    GOLDEN.mkdir(exist_ok=True)
    for path in agency_files():
        if stems and not any(re.search(s, path.stem) for s in stems):
            continue
        golden_path(path).write_text(json.dumps({"file": f"{path.parent.name}/{path.name}", "items": read(path)},
                                                indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print("wrote", golden_path(path).relative_to(AGENCIES))


if __name__ == "__main__":
    main(sys.argv[1:])
