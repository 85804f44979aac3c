"""``newsbridge agreement ...`` driven through Typer's CliRunner on real SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsbridge.cli import app
from newsbridge.db.engine import reading
from newsbridge.db.tables import agreements
from newsbridge.exchange.agreements import load_agreement
from newsbridge.exchange.lifecycle import Status
from tests.conftest import count_rows

runner = CliRunner()

AGREEMENT = {
    "title": "Kazakhstan–Iran media cooperation",
    "parties": ["krtc", "irna"],
    "valid_from": "2023-04-26", "valid_until": "2099-04-25",
    "terms": [{"from": "krtc", "topics": ["medtop:11000000"], "languages": ["en", "ru"], "delay_minutes": 15,
               "credit_line": "{source} via Newsbridge"},
              {"from": "irna", "topics": ["medtop:04000000"]}],
    "roadmap": [{"title": "Exchange news daily", "owner": "irna", "due": "2026-06-30", "status": "in_progress"},
                {"title": "Joint documentary", "owner": "krtc", "status": "done"}],
}


@pytest.fixture
def cli(engine):  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, ["--database-url", url, *args], catch_exceptions=False, env={"COLUMNS": "200"})
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


@pytest.fixture
def orgs(cli) -> None:  # type: ignore[no-untyped-def]
    cli("org", "add", "krtc", "--name", "TV and Radio Complex of the Kazakh President", "--country", "kz")
    cli("org", "add", "kazinform", "--name", "Kazinform", "--parent", "krtc")
    cli("org", "add", "irna", "--name", "Islamic Republic News Agency", "--country", "ir")
    cli("org", "add", "stranger", "--name", "Stranger News")


def agreement_file(tmp_path: Path, data: object = AGREEMENT) -> str:
    path = tmp_path / "kz-ir.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return str(path)


def propose(cli, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    result = cli("agreement", "propose", agreement_file(tmp_path), "--as", "krtc")
    assert "proposed" in result.stderr
    return result.stdout.strip()


def test_propose_prints_the_id_alone(cli, orgs, engine, tmp_path) -> None:
    result = cli("agreement", "propose", agreement_file(tmp_path), "--as", "krtc")
    agreement_id = result.stdout.strip()
    assert result.stdout == agreement_id + "\n" and " " not in agreement_id
    assert f"newsbridge agreement sign {agreement_id} --as SLUG" in result.stderr
    with reading(engine) as conn:
        created = load_agreement(conn, agreement_id)
    assert (created.title, created.status, [p.slug for p in created.parties]) \
        == ("Kazakhstan–Iran media cooperation", Status.PROPOSED, ["irna", "krtc"])


def test_signing_by_every_party_activates(cli, orgs, engine, tmp_path) -> None:
    agreement_id = propose(cli, tmp_path)
    first = cli("agreement", "sign", agreement_id, "--as", "krtc")
    assert f"agreement {agreement_id} is now proposed (1/2 parties signed" in first.stderr
    second = cli("agreement", "sign", agreement_id, "--as", "irna")
    assert f"agreement {agreement_id} is now active (2/2 parties signed" in second.stderr
    assert first.stdout == second.stdout == ""
    with reading(engine) as conn:
        assert load_agreement(conn, agreement_id).status is Status.ACTIVE


def test_show_lists_parties_terms_roadmap_and_history(cli, orgs, tmp_path) -> None:
    agreement_id = propose(cli, tmp_path)
    cli("agreement", "sign", agreement_id, "--as", "krtc")
    shown = cli("agreement", "show", agreement_id).stdout
    assert "Kazakhstan–Iran media cooperation" in shown and "proposed" in shown and "terms revision 1" in shown
    assert "2023-04-26" in shown and "2099-04-25" in shown
    lines = shown.splitlines()
    assert any("krtc" in line and "by newsbridge CLI as krtc" in line for line in lines)
    assert any("irna" in line and "not yet" in line for line in lines)
    assert any("medtop:11000000" in line and "en, ru" in line and "15 min" in line for line in lines)
    assert "Roadmap: 50% done" in shown
    assert any("Exchange news daily" in line and "irna" in line and "2026-06-30" in line and "in_progress" in line
               for line in lines)
    assert [action for action in ("create", "propose", "sign") if any(f" {action} " in line for line in lines)] \
        == ["create", "propose", "sign"]
    assert "draft → proposed" in shown and "proposed → proposed" in shown


def test_list_shows_every_agreement(cli, orgs, tmp_path) -> None:
    agreement_id = propose(cli, tmp_path)
    listed = cli("agreement", "list").stdout
    assert any(agreement_id in line and "proposed" in line and "irna, krtc" in line for line in listed.splitlines())


def test_suspend_then_end(cli, orgs, engine, tmp_path) -> None:
    agreement_id = propose(cli, tmp_path)
    cli("agreement", "sign", agreement_id, "--as", "krtc")
    cli("agreement", "sign", agreement_id, "--as", "irna")
    assert "is now suspended" in cli("agreement", "suspend", agreement_id, "--as", "irna").stderr
    assert "is now ended" in cli("agreement", "end", agreement_id, "--as", "krtc").stderr
    shown = cli("agreement", "show", agreement_id).stdout
    assert "active → suspended" in shown and "suspended → ended" in shown
    refused = cli("agreement", "suspend", agreement_id, "--as", "krtc", ok=False)
    assert refused.stderr.startswith("error (conflict): ") and len(refused.stderr.strip().splitlines()) == 1
    assert "cannot be suspended; allowed now: nothing (it has ended)" in refused.stderr


@pytest.mark.parametrize("command, as_org, message", [
    ("sign", "stranger", "error (not_found): no agreement"),
    ("suspend", "stranger", "error (not_found): no agreement"),
    ("end", "stranger", "error (not_found): no agreement"),
    ("sign", "kazinform", "error (forbidden): only a party itself can act"),
    ("sign", "ghost", "error (not_found): no organization with slug 'ghost'"),
])
def test_acting_as_a_non_party_fails_with_one_line(cli, orgs, engine, tmp_path, command: str, as_org: str,
                                                   message: str) -> None:
    agreement_id = propose(cli, tmp_path)
    result = cli("agreement", command, agreement_id, "--as", as_org, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output and result.stdout == ""
    with reading(engine) as conn:
        assert load_agreement(conn, agreement_id).status is Status.PROPOSED


@pytest.mark.parametrize("data, message", [
    ("{not json", "cannot read"),
    ({**AGREEMENT, "parties": ["irna", "stranger"], "terms": [{"from": "irna"}]},
     "your organization must be one of the parties"),
    ({**AGREEMENT, "parties": ["krtc", "nobody"]}, "no organization with slug 'nobody'"),
    ({**AGREEMENT, "terms": [{"from": "krtc", "topics": ["medtop:99999999"]}]}, "is not an IPTC Media Topic"),
])
def test_propose_refuses_a_bad_file_with_one_line(cli, orgs, engine, tmp_path, data: object, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    result = cli("agreement", "propose", str(path), "--as", "krtc", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert count_rows(engine, agreements) == 0


def test_show_an_unknown_agreement(cli, orgs) -> None:
    result = cli("agreement", "show", "01NOSUCHAGREEMENT", ok=False)
    assert result.stderr.startswith("error (not_found): no agreement '01NOSUCHAGREEMENT'")


def test_show_says_what_the_hub_measured(cli, orgs, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    measured = {**AGREEMENT, "roadmap": [
        *AGREEMENT["roadmap"],  # type: ignore[misc]
        {"title": "Three items a week from IRNA", "owner": "irna",
         "indicator": {"kind": "items_per_period", "from": "irna", "to": "krtc", "at_least": 3, "per": "week"}}]}
    agreement_id = cli("agreement", "propose", agreement_file(tmp_path, measured), "--as", "krtc").stdout.strip()
    shown = cli("agreement", "show", agreement_id).stdout
    assert any("Three items a week" in line and "not measured yet" in line for line in shown.splitlines())
    cli("agreement", "sign", agreement_id, "--as", "krtc")
    cli("agreement", "sign", agreement_id, "--as", "irna")
    from newsbridge.metrics.indicators import measure_all

    assert measure_all(engine) == 1
    shown = cli("agreement", "show", agreement_id).stdout
    assert "0 of 3 items from irna to krtc in the week" in shown and "off track" in shown
    assert "commitment_measured" in shown or "Newsbridge (measured)" in shown  # the history says so too
