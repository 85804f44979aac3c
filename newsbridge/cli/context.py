"""The settings and engine a CLI command works on (``--database-url`` overrides the env)."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from sqlalchemy.engine import Engine

from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import create_engine
from newsbridge.db.migrate import upgrade


@dataclass
class CliState:
    database_url: str | None = None

    def settings(self) -> Settings:
        return load_settings(database_url=self.database_url)

    def engine(self, *, migrate: bool = True) -> Engine:
        engine = create_engine(self.settings().database_url)
        if migrate:
            upgrade(engine)
        return engine


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
