"""``newsbridge org|member|key ...``: partners, their people and their API keys."""

from __future__ import annotations

import secrets

import typer
from rich.console import Console
from rich.table import Column, Table

from newsbridge.accounts.api_keys import DEFAULT_SCOPES, create_api_key, list_api_keys, revoke_api_key
from newsbridge.accounts.media_limit import describe_size, media_limit, parse_size, set_media_limit
from newsbridge.accounts.members import add_member, list_members
from newsbridge.accounts.organizations import create_organization, get_organization, list_organizations
from newsbridge.accounts.totp import remove_lost
from newsbridge.cli.context import state
from newsbridge.db.engine import reading, writing

org_app = typer.Typer(help="Organizations: partners, holdings and their outlets.", no_args_is_help=True)
member_app = typer.Typer(help="Members: people of an organization (admin, editor, viewer).", no_args_is_help=True)
key_app = typer.Typer(help="API keys: secrets for partners' systems (shown once).", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="Short id, lower case: kazinform"),
    name: str = typer.Option(..., "--name", help="Full name"),
    parent: str | None = typer.Option(None, "--parent", help="Slug of the holding this outlet belongs to"),
    country: str | None = typer.Option(None, "--country", help="ISO 3166-1 alpha-2 code: KZ, IR, RU"),
    languages: str | None = typer.Option(None, "--languages", help="Comma-separated: kk,ru,en"),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA zone: Asia/Almaty"),
    credit: str | None = typer.Option(None, "--credit", help="Name partners must credit (default: the name)"),
) -> None:
    """Register an organization."""
    with writing(state(ctx).engine()) as conn:
        org = create_organization(conn, slug, name, parent=parent, country=country, languages=_csv(languages),
                                  timezone=timezone, credit_name=credit)
    err.print(f"organization [bold]{org.slug}[/bold] created (id {org.id})")


@org_app.command("list")
def org_list(ctx: typer.Context) -> None:
    """List organizations, outlets under their holding."""
    with reading(state(ctx).engine()) as conn:
        orgs = list_organizations(conn)
    by_id = {o.id: o for o in orgs}
    table = Table(Column("slug", no_wrap=True), "name", "parent", "country", "languages", "time zone", "credit")
    for org in sorted(orgs, key=lambda o: ((by_id[o.parent_id].slug if o.parent_id else o.slug), o.parent_id or "",
                                           o.slug)):
        parent = by_id[org.parent_id].slug if org.parent_id else ""
        table.add_row(("  " if parent else "") + org.slug, org.name, parent, org.country or "",
                      ",".join(org.languages), org.timezone, org.credit_name)
    console.print(table)


@org_app.command("media-limit")
def org_media_limit(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="Organization slug"),
    size: str | None = typer.Argument(None, help="Largest media file: 5GiB, 500MB, bytes; 'default' for the hub's. "
                                                 "Leave out to show it"),
) -> None:
    """Show or set an organization's media file size limit (else NEWSBRIDGE_MAX_MEDIA_BYTES)."""
    hub_limit = state(ctx).settings().max_media_bytes
    with writing(state(ctx).engine()) as conn:
        org = get_organization(conn, slug)
        if size is not None:
            org = set_media_limit(conn, org, parse_size(size), actor="cli")
    whose = "the hub's" if org.max_media_bytes is None else "its own"
    err.print(f"{org.slug}: media files up to [bold]{describe_size(media_limit(org, hub_limit))}[/bold] ({whose})")


@member_app.command("add")
def member_add(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organization slug"),
    email: str = typer.Argument(..., help="E-mail address; it is the sign-in name"),
    name: str = typer.Option("", "--name", help="Display name"),
    role: str = typer.Option("editor", "--role", help="admin, editor or viewer"),
    password: str | None = typer.Option(None, "--password", help="At least 10 characters; generated when absent",
                                        envvar="NEWSBRIDGE_NEW_MEMBER_PASSWORD"),
) -> None:
    """Add a member; prints a generated password once when none is given."""
    chosen = password or secrets.token_urlsafe(12)
    with writing(state(ctx).engine()) as conn:
        member = add_member(conn, org, email, name, role, chosen)
    err.print(f"member {member.email} ({member.role}) added to {org}")
    if password is None:
        console.print(chosen)


@member_app.command("list")
def member_list(ctx: typer.Context, org: str = typer.Argument(..., help="Organization slug")) -> None:
    """List an organization's members."""
    with reading(state(ctx).engine()) as conn:
        people = list_members(conn, org)
    table = Table(Column("e-mail", no_wrap=True), "name", "role", "since")
    for m in people:
        table.add_row(m.email, m.name, m.role, m.created_at.date().isoformat())
    console.print(table)


@member_app.command("two-factor-off")
def member_two_factor_off(ctx: typer.Context, email: str = typer.Argument(..., help="The member's e-mail")) -> None:
    """Remove the second sign-in factor of a member who lost their phone and recovery codes."""
    with writing(state(ctx).engine()) as conn:
        member = remove_lost(conn, email, actor="cli")
    err.print(f"two-factor sign-in removed for {member.email}; they sign in with their password")


@key_app.command("create")
def key_create(
    ctx: typer.Context,
    org: str = typer.Argument(..., help="Organization slug"),
    scope: str = typer.Option(",".join(DEFAULT_SCOPES), "--scope",
                              help="Comma-separated scopes among publish, read, manage (agreements)"),
    label: str = typer.Option("", "--label", help="What the key is for"),
) -> None:
    """Create an API key and print it, alone, on standard output (it is not shown again)."""
    with writing(state(ctx).engine()) as conn:
        key, raw = create_api_key(conn, org, _csv(scope), label)
    err.print(f"key {key.id} for {org} with scopes {','.join(key.scopes)}; store it now, it is shown once")
    print(raw)


@key_app.command("revoke")
def key_revoke(ctx: typer.Context, key_id: str = typer.Argument(..., help="Key id (or the whole key)")) -> None:
    """Revoke an API key; it stops working at once."""
    with writing(state(ctx).engine()) as conn:
        key = revoke_api_key(conn, key_id)
    err.print(f"key {key.id} revoked")


@key_app.command("list")
def key_list(ctx: typer.Context, org: str = typer.Argument(..., help="Organization slug")) -> None:
    """List an organization's keys (ids and scopes, never secrets)."""
    with reading(state(ctx).engine()) as conn:
        keys = list_api_keys(conn, org)
    table = Table(Column("id", no_wrap=True), "scopes", "label", "created", "revoked")
    for k in keys:
        table.add_row(k.id, ",".join(k.scopes), k.label, k.created_at.isoformat(timespec="seconds"),
                      k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "")
    console.print(table)
