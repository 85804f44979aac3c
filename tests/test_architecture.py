"""Imports run one way: formats (pure) -> db -> services -> edges. No cycles between packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "newsbridge"
BASE = {"errors", "config", "ids", "telemetry", "targets", "retries"}
LAYERS = {  # what each part of the package may import from newsbridge
    "formats": {"formats"},
    "vocab": {"vocab"},
    "search": {"search"},  # pure text: words, stems per language, queries, snippets
    "errors": set(),
    "telemetry": set(),
    "ids": set(),
    "targets": {"errors"},
    "retries": {"errors"},
    "config": {"errors"},
    "db": BASE | {"db"},
    "accounts": BASE | {"db", "accounts"},
    "items": BASE | {"db", "formats", "vocab", "search", "accounts", "items"},
    "exchange": BASE | {"db", "formats", "vocab", "accounts", "items", "exchange"},
    "delivery": BASE | {"db", "formats", "vocab", "accounts", "items", "exchange", "media", "delivery"},
    "ingest": BASE | {"db", "formats", "vocab", "accounts", "items", "exchange", "ingest"},
    "desk": BASE | {"db", "formats", "vocab", "search", "accounts", "items", "exchange", "ingest", "desk"},
    "alerts": BASE | {"db", "formats", "vocab", "accounts", "items", "exchange", "delivery", "ingest", "desk",
                      "alerts"},
    "metrics": BASE | {"db", "formats", "vocab", "accounts", "items", "exchange", "metrics"},
    "demo": BASE | {"db", "formats", "vocab", "search", "accounts", "items", "exchange", "delivery", "desk", "ingest",
             "media", "projects", "stories", "translation", "demo"},
    "media": BASE | {"db", "formats", "accounts", "items", "exchange", "media"},
    "projects": BASE | {"db", "formats", "accounts", "items", "exchange", "ingest", "media", "delivery", "projects"},
    "ops": BASE | {"db", "accounts", "media", "ops"},
    "translation": BASE | {"db", "accounts", "items", "exchange", "translation"},
    "stories": BASE | {"db", "formats", "vocab", "search", "accounts", "items", "exchange", "desk", "stories"},
}
EDGES = {"api", "cli", "web", "app", "middleware"}  # web: pages, the edge people use


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("newsbridge."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("newsbridge.")}
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path: Path) -> None:
    part = _part(path)
    if part in EDGES or part == "__init__":
        return
    assert part in LAYERS, f"{part} is a new part of the package: give it a layer in this test"
    wrong = _imports(path) - LAYERS[part] - {part}
    assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_services_never_see_requests() -> None:
    for path in PACKAGE.rglob("*.py"):
        if _part(path) in EDGES:
            continue
        text = path.read_text("utf-8")
        assert "fastapi" not in text and "starlette" not in text, path


def test_modules_stay_small() -> None:
    big = [(str(p.relative_to(PACKAGE)), n) for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text("utf-8").splitlines())) > 500 and "migrations" not in p.parts]
    assert big == []


def test_test_modules_have_unique_names() -> None:
    """The test folders are not packages: two test files with one name break collection of the whole suite."""
    names = [p.name for p in (PACKAGE.parent / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
