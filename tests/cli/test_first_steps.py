"""A fresh `inbox-crm init` as a new user meets it: its config, digest and errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inbox_crm.cli.main import cli
from inbox_crm.config import load_config
from inbox_crm.errors import ConfigError


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(home / "inbox-crm.toml"), *args])


def test_the_starter_states_the_fuzzy_threshold_range_it_enforces(home: Path) -> None:
    config = home / "inbox-crm.toml"
    text = config.read_text(encoding="utf-8")
    [stated] = re.findall(r"Fuzzy name matching .* \((\d+)-(\d+)\)", text)
    low, high = (int(bound) for bound in stated)

    for value, accepted in ((low, True), (low - 1, False), (high, True)):
        config.write_text(
            re.sub(
                r"(?m)^fuzzy_threshold = \d+", f"fuzzy_threshold = {value}", text
            ).replace("review_threshold = 80", f"review_threshold = {low - 1}"),
            encoding="utf-8",
        )
        if accepted:
            assert load_config(config).linking.fuzzy_threshold == value
        else:
            with pytest.raises(ConfigError, match="fuzzy_threshold"):
                load_config(config)


def test_the_starter_user_me_is_greeted_without_a_name(home: Path) -> None:
    result = run(home, "digest", "preview", "--user", "me")

    assert result.exit_code == 0, result.output
    assert "Subject: Your digest for " in result.output
    assert "Good morning,\n" in result.output
    assert "Me's" not in result.output and "Good morning Me" not in result.output
    html = run(home, "digest", "preview", "--user", "me", "--html").output
    assert "Good morning:" in html


def test_a_recipient_that_is_not_an_address_is_quoted_whole(home: Path) -> None:
    result = run(home, "outreach", "send", "follow-up", "--to", "not an address")

    assert result.exit_code != 0
    assert "'not an address' is not a valid email address" in str(result.exception)
