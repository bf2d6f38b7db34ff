"""What every subcommand shares: the config path, the database, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from inbox_crm.config import Config, config_path, load_config
from inbox_crm.storage.db import Database, open_database


@dataclass
class AppContext:
    """Lazily loaded configuration and database for one command run."""

    config_option: str | None
    # -q: print warnings and errors only, no summaries.
    quiet: bool = False
    _config: Config | None = field(default=None, init=False)
    _database: Database | None = field(default=None, init=False)

    @property
    def config_file(self) -> Path:
        return config_path(self.config_option)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_file)
        return self._config

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = open_database(self.config.database_url)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()


pass_app = click.make_pass_decorator(AppContext)

FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for scripts (JSON Lines: one object a line).",
)


def print_json_lines(records: Iterable[dict[str, Any]]) -> int:
    count = 0
    out = sys.stdout
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, default=str))
        out.write("\n")
        count += 1
    return count


def check_user(config: Config, option: str, name: str | None) -> None:
    """Refuse a user name that is not one of the configured [users.NAME]."""
    if name is None or name in config.users:
        return
    known = ", ".join(sorted(config.users)) or "none yet"
    raise click.BadParameter(
        f"no user named {name!r} (configured: {known}); users are the "
        f"[users.NAME] tables of {config.path}",
        param_hint=option,
    )
