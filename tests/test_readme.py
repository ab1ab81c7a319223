"""The README stays true: every setting and every command is documented, and no placeholder is left."""

from __future__ import annotations

from toolkit_assistant.cli import cli
from toolkit_assistant.config import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    for name in Settings.model_fields:
        assert f"| `TOOLKIT_{name.upper()}` |" in README, name


def test_every_command_is_documented() -> None:
    for name in cli.commands:
        assert f"toolkit-assistant {name}" in README or f"| `{name}" in README, name


def test_the_two_commands_and_ci() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_no_placeholder_is_left() -> None:
    assert "FIGURES_" not in README
