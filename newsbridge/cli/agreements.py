"""``newsbridge agreement ...``: exchange agreements from the operator's console."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Column, Table

from newsbridge.accounts.organizations import get_organization
from newsbridge.cli.context import state
from newsbridge.db.engine import reading, writing
from newsbridge.errors import InvalidInput
from newsbridge.exchange.agreements import (Agreement, act, all_agreement_ids, create_agreement, history,
                                            load_agreement)
from newsbridge.exchange.lifecycle import Action
from newsbridge.exchange.media_rules import describe
from newsbridge.exchange.roadmap import list_commitments, progress

agreement_app = typer.Typer(help="Exchange agreements: propose, sign, suspend, end, show.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
ACTOR = "newsbridge CLI"
AS_ORG = typer.Option(..., "--as", help="Slug of the party organization acting")


def _act(ctx: typer.Context, agreement_id: str, as_org: str, action: Action) -> Agreement:
    with writing(state(ctx).engine()) as conn:
        org = get_organization(conn, as_org)
        agreement = act(conn, agreement_id, action, org, f"{ACTOR} as {as_org}")
    signed = sum(p.signed for p in agreement.parties)
    err.print(f"agreement {agreement.id} is now [bold]{agreement.status.value}[/bold] "
              f"({signed}/{len(agreement.parties)} parties signed the current terms)")
    return agreement


@agreement_app.command("propose")
def propose(ctx: typer.Context, file: Path = typer.Argument(..., help="The agreement as JSON (see docs/exchange.md)"),
            as_org: str = AS_ORG) -> None:
    """Create an agreement from a JSON file and propose it; prints its id alone on standard output."""
    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}", field="file") from None
    with writing(state(ctx).engine()) as conn:
        org = get_organization(conn, as_org)
        draft = create_agreement(conn, org, f"{ACTOR} as {as_org}", data)
        agreement = act(conn, draft.id, Action.PROPOSE, org, f"{ACTOR} as {as_org}")
    err.print(f"agreement '{agreement.title}' proposed; every party signs with "
              f"`newsbridge agreement sign {agreement.id} --as SLUG`")
    print(agreement.id)


@agreement_app.command("sign")
def sign(ctx: typer.Context, agreement_id: str = typer.Argument(...), as_org: str = AS_ORG) -> None:
    """Sign the current terms for a party; the agreement is active once every party signed."""
    _act(ctx, agreement_id, as_org, Action.SIGN)


@agreement_app.command("suspend")
def suspend(ctx: typer.Context, agreement_id: str = typer.Argument(...), as_org: str = AS_ORG) -> None:
    """Suspend an active agreement: nothing new is routed under it."""
    _act(ctx, agreement_id, as_org, Action.SUSPEND)


@agreement_app.command("end")
def end(ctx: typer.Context, agreement_id: str = typer.Argument(...), as_org: str = AS_ORG) -> None:
    """End an agreement for good."""
    _act(ctx, agreement_id, as_org, Action.END)


@agreement_app.command("list")
def index(ctx: typer.Context) -> None:
    """Every agreement on the hub with its status and parties."""
    table = Table(Column("id", no_wrap=True), "title", "status", "parties", "valid")
    with reading(state(ctx).engine()) as conn:
        for agreement_id in all_agreement_ids(conn):
            a = load_agreement(conn, agreement_id)
            table.add_row(a.id, a.title, a.status.value, ", ".join(p.slug for p in a.parties),
                          f"{a.valid_from or '…'} – {a.valid_until or '…'}")
    console.print(table)


@agreement_app.command("show")
def show(ctx: typer.Context, agreement_id: str = typer.Argument(...)) -> None:
    """Parties and signatures, terms in plain words, roadmap progress and history."""
    with reading(state(ctx).engine()) as conn:
        a = load_agreement(conn, agreement_id)
        slugs = {p.id: p.slug for p in a.parties}
        commitments = list_commitments(conn, a.id)
        events = history(conn, a.id)
    console.print(f"[bold]{a.title}[/bold]  {a.status.value}  (terms revision {a.terms_revision}, "
                  f"valid {a.valid_from or '…'} – {a.valid_until or '…'})")
    parties = Table("party", "name", "signed")
    for p in a.parties:
        parties.add_row(p.slug, p.name, f"{p.signed_at:%Y-%m-%d %H:%M} by {p.signed_by}" if p.signed else "not yet")
    console.print(parties)
    terms = Table("from", "topics", "languages", "types", "delay", "credit line", "media")
    for t in a.terms:
        terms.add_row(slugs.get(t.from_id, t.from_id), ", ".join(t.topics) or "all", ", ".join(t.languages) or "all",
                      ", ".join(t.types) or "all", f"{t.delay_minutes} min", t.credit_line,
                      describe(t.media, t.types, slugs))
    console.print(terms)
    done = progress(commitments, date.today())
    roadmap = Table("#", "commitment", "owner", "due", "status", "measured by the hub",
                    title=f"Roadmap: {done.percent}% done")
    for c in commitments:
        measured = (c.measure or {}).get("sentence", "not measured yet") if c.indicator else ""
        roadmap.add_row(str(c.position), c.title, c.owner or "", c.due.isoformat() if c.due else "", c.status.value,
                        measured)
    console.print(roadmap)
    log = Table("when", "action", "by", "status")
    for e in events:
        log.add_row(f"{e.at:%Y-%m-%d %H:%M}", e.action, f"{e.organization} ({e.actor})",
                    f"{e.from_status or ''} → {e.to_status}")
    console.print(log)
