"""The deployment examples in deploy/ are not run here (no systemd, Docker or TLS in CI), but what they
name must exist: every ``NEWSBRIDGE_*`` setting they set is a declared setting, every command they run
is a ``newsbridge`` command, and the compose file has the documented topology."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from typer.main import get_command

from newsbridge.cli import app as cli_app
from newsbridge.config import SETTINGS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_every_setting_the_examples_set_is_declared() -> None:
    declared = {"NEWSBRIDGE_" + s.name.upper() for s in SETTINGS}
    used = {name for path in DEPLOY.rglob("*") if path.is_file()
            for name in re.findall(r"\b(NEWSBRIDGE_[A-Z0-9_]*[A-Z0-9])\b", path.read_text())}
    assert used and used <= declared, sorted(used - declared)


def test_every_command_the_examples_run_exists() -> None:
    commands = get_command(cli_app).commands  # type: ignore[attr-defined]
    run = [line.split("newsbridge ", 1)[1].split()[0] for path in (DEPLOY / "systemd").iterdir()
           for line in path.read_text().splitlines() if line.startswith("ExecStart=")]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    run += [service["command"][1] for service in compose["services"].values()
            if service.get("command", [None])[0] == "newsbridge"]
    assert set(run) == {"serve", "worker", "db"} and set(run) <= set(commands), run


def test_compose_runs_the_documented_topology() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"postgres", "seaweedfs", "serve-1", "serve-2", "worker-1", "worker-2", "nginx"} <= set(services)
    for name in ("serve-1", "serve-2", "worker-1", "worker-2"):
        assert services[name]["environment"]["NEWSBRIDGE_IN_PROCESS_WORKER"] == "false"
        assert services[name]["environment"]["NEWSBRIDGE_DATABASE_URL"].startswith("postgresql+psycopg://")
