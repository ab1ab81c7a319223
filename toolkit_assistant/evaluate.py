"""Placeholder: being built."""

from __future__ import annotations

import click


@click.command()
def eval_command() -> None:
    """Run the gold questions and the quality gate."""
    raise click.ClickException("not implemented yet")
