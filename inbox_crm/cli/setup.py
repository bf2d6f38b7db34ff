"""`inbox-crm init`: a commented starter configuration."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

RULES_NOTE = """\
Rule files (YAML) for the rules engine go in this folder. The README's
"Rules" section describes the format; `inbox-crm rules check` validates
them and `inbox-crm rules test --message FILE.eml` tries them.
"""
TEMPLATES_NOTE = """\
Jinja2 templates for outreach mail and the daily digest go in this folder.
"""


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing inbox-crm.toml.")
def init_command(directory: Path, force: bool) -> None:
    """Write a commented inbox-crm.toml (and rules/, templates/) into DIRECTORY."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "inbox-crm.toml"
    if target.exists() and not force:
        raise click.ClickException(
            f"{target} exists already; pass --force to overwrite it"
        )
    starter = resources.files("inbox_crm") / "starter" / "inbox-crm.toml"
    target.write_text(starter.read_text(encoding="utf-8"), encoding="utf-8")
    for name, note in (("rules", RULES_NOTE), ("templates", TEMPLATES_NOTE)):
        folder = directory / name
        folder.mkdir(exist_ok=True)
        readme = folder / "README.md"
        if not readme.exists():
            readme.write_text(note, encoding="utf-8")
    _copy_starter_rules(directory / "rules")
    click.echo(f"wrote {target}")
    click.echo("next: edit [mailboxes.work], export its password variable, then")
    click.echo(f"      inbox-crm --config {target} sync")


def _copy_starter_rules(folder: Path) -> None:
    """The shipped example rules, never overwriting a file the user has."""
    starter = resources.files("inbox_crm") / "starter" / "rules"
    for item in starter.iterdir():
        target = folder / item.name
        if item.name.endswith(".yaml") and not target.exists():
            target.write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
