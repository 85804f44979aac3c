"""The CLI, driven through Typer's CliRunner against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from newsbridge.accounts.api_keys import authenticate
from newsbridge.cli import app
from newsbridge.db.engine import reading
from newsbridge.db.migrate import head_revision
import sqlalchemy as sa

from newsbridge.db.tables import deliveries, item_versions, items, organizations, pickups
from newsbridge.demo.history import URI_PREFIX
from newsbridge.demo.stories import CORRIDOR_STORY, PICKUPS, STORIES
from tests.conftest import FIXTURES, count_rows

runner = CliRunner()


@pytest.fixture
def cli(engine):  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, ["--database-url", url, *args], catch_exceptions=False, env={"COLUMNS": "200"})
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


def test_org_add_with_parent_and_list(cli, engine) -> None:
    cli("org", "add", "krtc", "--name", "TV and Radio Complex of the Kazakh President", "--country", "kz",
        "--timezone", "Asia/Almaty", "--languages", "kk,ru,en")
    cli("org", "add", "kazinform", "--name", "Kazinform", "--parent", "krtc", "--credit", "Kazinform")
    listed = cli("org", "list").stdout
    assert "krtc" in listed and "kazinform" in listed and "Asia/Almaty" in listed
    assert count_rows(engine, organizations) == 2


@pytest.mark.parametrize("args, message", [
    (["org", "add", "Bad Slug", "--name", "X"], "slug"),
    (["org", "add", "outlet", "--name", "X", "--parent", "nobody"], "no organization with slug 'nobody'"),
    (["org", "add", "x1", "--name", "X", "--country", "Kazakhstan"], "ISO 3166-1"),
    (["org", "add", "x2", "--name", "X", "--timezone", "Mars/Base"], "IANA"),
    (["key", "create", "nobody"], "no organization"),
    (["key", "revoke", "nosuchkey"], "no API key"),
])
def test_bad_arguments_print_one_clear_line(cli, args, message) -> None:
    result = cli(*args, ok=False)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_key_create_prints_the_key_alone_and_revoke_stops_it(cli, engine) -> None:
    cli("org", "add", "irna", "--name", "IRNA")
    key = cli("key", "create", "irna", "--scope", "read").stdout.strip()
    assert key.startswith("nb_") and "\n" not in key and len(key) > 40
    with reading(engine) as conn:
        principal = authenticate(conn, key)
    assert principal is not None and principal.scopes == ("read",)
    assert key.split("_")[1] in cli("key", "list", "irna").stdout
    cli("key", "revoke", key.split("_")[1])
    with reading(engine) as conn:
        assert authenticate(conn, key) is None


def test_key_create_refuses_unknown_scopes(cli) -> None:
    cli("org", "add", "irna", "--name", "IRNA")
    assert "scopes must be among publish, read" in cli("key", "create", "irna", "--scope", "admin", ok=False).stderr


def test_member_add_generates_a_password_once(cli) -> None:
    cli("org", "add", "kazinform", "--name", "Kazinform")
    password = cli("member", "add", "kazinform", "editor@kazinform.example", "--role", "editor").stdout.strip()
    assert len(password) >= 12
    assert "editor@kazinform.example" in cli("member", "list", "kazinform").stdout
    assert "exists already" in cli("member", "add", "kazinform", "EDITOR@kazinform.example", ok=False).stderr
    assert "role" in cli("member", "add", "kazinform", "x@kazinform.example", "--role", "boss", ok=False).stderr


def test_ingest_reports_accepted_and_rejected(cli, engine, tmp_path) -> None:
    cli("org", "add", "kazinform", "--name", "Kazinform")
    page = tmp_path / "page.html"
    page.write_text("<html><body>not news</body></html>")
    result = cli("ingest", str(FIXTURES / "seeds"), str(FIXTURES / "newsml-g2" / "LISTING_1_A_NewsML-G2_News_Item.xml"),
                 str(page), "--as", "kazinform", ok=False)
    assert "4 files: 3 item versions stored, 0 unchanged" in result.stdout
    assert "1 rejected" in result.stdout and "unknown_format" in result.stdout
    assert count_rows(engine, item_versions) == 3
    again = cli("ingest", str(FIXTURES / "seeds"), "--as", "kazinform")
    assert "0 item versions stored, 2 unchanged" in again.stdout


def test_ingest_needs_a_known_organization(cli) -> None:
    assert "no organization with slug 'ghost'" in cli("ingest", str(FIXTURES / "seeds"), "--as", "ghost",
                                                     ok=False).stderr


def test_config_masks_secrets(monkeypatch) -> None:
    monkeypatch.setenv("NEWSBRIDGE_DATABASE_URL", "postgresql+psycopg://hub:s3cret@db.internal/newsbridge")
    result = runner.invoke(app, ["config"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "s3cret" not in result.stdout and "hub:***@db.internal" in result.stdout
    assert "NEWSBRIDGE_LANGUAGES" in result.stdout


def test_config_refuses_bad_values(monkeypatch) -> None:
    monkeypatch.setenv("NEWSBRIDGE_PORT", "eighty")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 1 and "NEWSBRIDGE_PORT" in result.stderr


def test_db_upgrade_is_repeatable(cli, engine) -> None:
    head = head_revision(engine)
    assert f"revision {head}" in cli("db", "upgrade").stderr
    assert f"revision {head}" in cli("db", "upgrade").stderr


def test_demo_builds_the_cooperating_partners_and_ingests_the_seeds(cli, engine) -> None:
    result = cli("demo", "--no-serve")
    assert "editor@kazinform.example" in result.stdout and "editor@irna.example" in result.stdout
    keys = re.findall(r"nb_[A-Za-z0-9_-]+", result.stdout)
    assert len(set(keys)) >= 4
    with reading(engine) as conn:
        assert all(authenticate(conn, key) is not None for key in set(keys))
        slugs = {row.slug: row.parent_id for row in conn.execute(organizations.select())}
    assert {"krtc", "kazinform", "jibek-joly", "silk-way-tv", "documentary-films", "irna", "parstoday", "ria"} <= set(slugs)
    assert slugs["kazinform"] is not None and slugs["irna"] is None
    generated = sa.select(items.c.id).where(items.c.uri.startswith(URI_PREFIX))  # 18 months (test_demo.py)
    with reading(engine) as conn:  # the demo's video and photo are media items of their own (test_demo.py)
        versions = conn.execute(sa.select(sa.func.count()).select_from(item_versions).where(
            item_versions.c.item_id.not_in(generated), item_versions.c.type == "text")).scalar_one()
        assert versions == 2 + len(STORIES) + len(CORRIDOR_STORY)  # the seeds, a lived-in desk, the demo story
        events = set(conn.execute(sa.select(deliveries.c.event)).scalars())
        assert conn.execute(sa.select(sa.func.count()).select_from(pickups)
                            .where(pickups.c.item_id.not_in(generated), pickups.c.kind == "declared")
                            ).scalar_one() == len(PICKUPS)  # and the demo story's pickup the hub detected
    assert {"item.published", "item.updated", "item.withdrawn"} <= events


def test_source_add_strict_and_list(cli, engine) -> None:
    from newsbridge.db.tables import sources

    cli("org", "add", "efe", "--name", "EFE")
    lenient = cli("source", "add", "efe", "https://93.184.216.34/efe/nitf.xml").stdout.strip()
    strict = cli("source", "add", "efe", "https://93.184.216.34/efe/strict.xml", "--strict").stdout.strip()
    listed = cli("source", "list").stdout

    with engine.connect() as conn:
        modes = dict(conn.execute(sa.select(sources.c.id, sources.c.strict)).all())
    assert modes == {lenient: False, strict: True}
    cells = [line.replace("│", " ").replace("┃", " ").split() for line in listed.splitlines()]
    rows = {row[0]: row for row in cells if row and row[0] in modes}
    assert rows[lenient].count("no") == 1 and rows[strict].count("yes") == 2  # enabled; strict
