"""Docs are checked against code: settings, CLI commands, API routes and error codes."""

from __future__ import annotations

import pytest
import typer.main

from newsbridge import errors
from newsbridge.app import create_app
from newsbridge.cli import app as cli_app
from newsbridge.config import SETTINGS, load_settings
from tests.conftest import REPO

DOCS = REPO / "docs"


def _commands(command, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    sub = getattr(command, "commands", None)
    if not sub:
        return [prefix]
    found = []
    for name, child in sub.items():
        found += _commands(child, f"{prefix} {name}")
    return found


def _error_classes(cls: type) -> list[type]:
    return [cls] + [c for sub in cls.__subclasses__() for c in _error_classes(sub)]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented(setting) -> None:
    assert f"`{setting.env}`" in (DOCS / "configuration.md").read_text("utf-8")


@pytest.mark.parametrize("command", _commands(typer.main.get_command(cli_app), "newsbridge"))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`{command}" in (DOCS / "cli.md").read_text("utf-8")


def test_every_api_route_is_documented(tmp_path) -> None:
    app = create_app(load_settings(env={}, database_url=f"sqlite:///{tmp_path / 'docs.db'}"))
    text = (DOCS / "api.md").read_text("utf-8")
    routes = [(method.upper(), path) for path, operations in app.openapi()["paths"].items() for method in operations]
    assert len(routes) >= 10
    missing = [f"{m} {p}" for m, p in routes if f"`{m} {p}`" not in text]
    assert missing == []


@pytest.mark.parametrize("code", sorted(errors.ERROR_CODES))
def test_every_error_code_is_documented(code: str) -> None:
    assert f"| `{code}` |" in (DOCS / "errors.md").read_text("utf-8")


def test_every_error_class_has_a_listed_code() -> None:
    codes = {cls.code for cls in _error_classes(errors.NewsbridgeError)}
    assert codes <= set(errors.ERROR_CODES)


@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_readme_starts_with_the_two_commands(command: str) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert command in readme[:1500]
