"""`inbox-crm init`: a commented starter configuration."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from inbox_crm.errors import describe_os_error

RULES_NOTE = """\
Rule files (YAML) for the rules engine go in this folder. The README's
"Rules" section describes the format; `inbox-crm rules check` validates
them and `inbox-crm rules test --message FILE.eml` tries them.
"""


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing inbox-crm.toml.")
def init_command(directory: Path, force: bool) -> None:
    """Write a commented inbox-crm.toml (and rules/, templates/) into DIRECTORY.

    The example rules and templates are copied into rules/ and templates/;
    a file that exists already is left as it is.
    """
    if directory.exists() and not directory.is_dir():
        raise click.ClickException(f"{directory} is a file; name a folder")
    target = directory / "inbox-crm.toml"
    if target.exists() and not force:
        raise click.ClickException(
            f"{target} exists already; pass --force to overwrite it"
        )
    try:
        write_starter(directory, target)
    except OSError as exc:
        raise click.ClickException(
            f"cannot write the configuration: {describe_os_error(exc)}; "
            "name a folder you can write to"
        ) from exc
    click.echo(f"wrote {target}")
    click.echo("next: edit [mailboxes.work], export its password variable, then")
    click.echo(f"      inbox-crm --config {target} sync")


def write_starter(directory: Path, target: Path) -> None:
    """The starter configuration at `target`, with rules/ and templates/ beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    starter = resources.files("inbox_crm") / "starter"
    config = starter / "inbox-crm.toml"
    target.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    rules = directory / "rules"
    copy_missing(starter / "rules", rules)
    readme = rules / "README.md"
    if not readme.exists():
        readme.write_text(RULES_NOTE, encoding="utf-8")
    copy_missing(starter / "templates", directory / "templates")


def copy_missing(source: Traversable, target: Path) -> None:
    """Copy the tree `source` into `target`, keeping every file already there."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_dir():
            copy_missing(item, target / item.name)
        elif not (target / item.name).exists():
            (target / item.name).write_bytes(item.read_bytes())
