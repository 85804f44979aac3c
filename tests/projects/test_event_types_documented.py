"""Every ``project.*`` event the services record is a webhook event type endpoints may subscribe to, and each
one is documented in docs/projects.md's table of notifications (and nothing documented there is missing)."""

from __future__ import annotations

import re
from pathlib import Path

from newsbridge.delivery.endpoints import PROJECT_EVENTS

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r'record_event\(\s*conn,[^)]*?"(project\.[a-z_]+)"', re.S)


def recorded_types() -> set[str]:
    return {m for path in (ROOT / "newsbridge").rglob("*.py") for m in RECORDED.findall(path.read_text())}


def documented_types() -> set[str]:
    text = (ROOT / "docs" / "projects.md").read_text()
    table = text[text.index("## Notifications"):text.index("## Roadmap evidence")]
    return set(re.findall(r"^\| `(project\.[a-z_]+)` \|", table, re.M))


def test_every_recorded_event_is_a_subscribable_and_documented_type() -> None:
    recorded = recorded_types()
    assert len(recorded) >= 15, recorded  # the finder still finds the services' events
    assert recorded == set(PROJECT_EVENTS)
    assert documented_types() == set(PROJECT_EVENTS)
