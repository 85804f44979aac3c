"""``newsbridge alerts digest``: e-mail each member their new unread alerts (run it from cron)."""

from __future__ import annotations

import typer
from rich.console import Console

from newsbridge.alerts.digest import send_digests
from newsbridge.alerts.mail import MemoryMailer, SmtpMailer
from newsbridge.cli.context import state
from newsbridge.errors import InvalidInput
from newsbridge.web.views.alerts import digest_message

console = Console()
alerts_app = typer.Typer(help="Alerts: e-mail digests.", no_args_is_help=True)


@alerts_app.command("digest")
def digest(ctx: typer.Context, dry_run: bool = typer.Option(
        False, "--dry-run", help="Say who would get how many alerts; send nothing, record nothing")) -> None:
    """Send each member with digests on one e-mail of the unread alerts raised since their last digest,
    in their language, through NEWSBRIDGE_SMTP_URL. Members with nothing new get nothing; run it
    as often as digests should go out (cron, a systemd timer)."""
    cli = state(ctx)
    settings = cli.settings()
    if not settings.smtp_url and not dry_run:
        raise InvalidInput("NEWSBRIDGE_SMTP_URL is not set: configure an SMTP server (docs/configuration.md), "
                           "or see who would get a digest with --dry-run", field="NEWSBRIDGE_SMTP_URL")
    mailer = MemoryMailer() if dry_run else SmtpMailer.from_url(settings.smtp_url)
    sent = send_digests(cli.engine(), mailer, lambda member, org, alerts: digest_message(settings, member, org, alerts),
                        dry_run=dry_run)
    for entry in sent:
        console.print(f"{'would send' if dry_run else 'sent'} {entry.alerts} alert(s) to {entry.email}", highlight=False)
    if not sent:
        console.print("no member has new unread alerts")
