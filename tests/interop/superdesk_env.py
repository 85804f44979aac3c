"""Build the test-client environment with Superdesk's parsers: ``.venv-superdesk/`` (gitignored).

superdesk-core is AGPL-licensed: it is used only as a test client, in a virtual environment of
its own that the product and its venv never import. ``--no-deps`` keeps it to its parser
modules; of its dependencies only what those modules import is installed (each named: no
resolver), at the versions
superdesk-core 2.5.3 pins where they still install on Python 3.11 (arrow and python-dateutil:
its date parsing), lxml (current: 4.6 has no wheels for 3.11) and lxml_html_clean (the part of
lxml.html that moved out in lxml 5.2, for Superdesk's NITF body cleaning). Superdesk's Flask app,
Eve and Elasticsearch are not installed: ``superdesk_runner.py`` stands in for the app globals the
parsers touch.

Run by ``make test`` (cached: the marker file records the requirements; nothing is done when they
match) and by the interop tests' fixture when a test run starts without it.

    .venv/bin/python tests/interop/superdesk_env.py        # build or check, quietly
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-superdesk"
PYTHON = VENV / "bin" / "python"
MARKER = VENV / ".newsbridge-installed"
SUPERDESK = "superdesk-core==2.5.3"
PARSER_DEPS = ("arrow<=0.13", "python-dateutil<2.8", "six", "pytz", "lxml>=5.2", "lxml_html_clean")
REQUIREMENTS = "\n".join((SUPERDESK, *PARSER_DEPS)) + "\n"


def _pip(*args: str) -> None:
    done = subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"installing {' '.join(args)} into {VENV} failed:\n{done.stdout}{done.stderr}")


def ensure() -> Path:
    """The environment's python, built first if missing or made for other requirements."""
    if MARKER.exists() and MARKER.read_text() == REQUIREMENTS and PYTHON.exists():
        return PYTHON
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    # everything named, nothing resolved: superdesk-core's own requirements would pull in its whole server
    _pip("--no-deps", SUPERDESK, *PARSER_DEPS)
    MARKER.write_text(REQUIREMENTS)
    return PYTHON


def subject_codes() -> dict[str, str]:
    """Superdesk's own list of IPTC Subject Codes (code -> name), as its app registers them."""
    [found] = VENV.glob("lib/python*/site-packages/superdesk/io/data/subject_codes.json")
    return json.loads(found.read_text("utf-8"))


if __name__ == "__main__":
    print(ensure()) if "-v" in sys.argv else ensure()
