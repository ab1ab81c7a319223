"""Placeholder: being built."""

from __future__ import annotations

import click


@click.command()
def prepare_command() -> None:
    """Build a trainer's session pack on a topic."""
    raise click.ClickException("not implemented yet")
