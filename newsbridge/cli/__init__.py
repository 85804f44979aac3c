"""The ``newsbridge`` command line: serve the hub, run the demo, manage partners, ingest files.

Errors are printed as one line (the message says what to do), never as a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from newsbridge.cli import accounts, hub
from newsbridge.errors import NewsbridgeError

app = typer.Typer(help="Newsbridge: a news-exchange hub for cooperating media organizations.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.callback()(hub.root)
app.command()(hub.serve)
app.command()(hub.demo)
app.command()(hub.ingest)
app.command(name="config")(hub.show_config)
app.add_typer(hub.db_app, name="db")
app.add_typer(accounts.org_app, name="org")
app.add_typer(accounts.member_app, name="member")
app.add_typer(accounts.key_app, name="key")


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except NewsbridgeError as exc:
        Console(stderr=True).print(f"[red]error[/red] ({exc.code}): {exc.message}", highlight=False)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click's usage errors and the like
        from click.exceptions import ClickException

        if isinstance(exc, ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
