"""Placeholder: being built."""

from __future__ import annotations

import click


@click.command()
def bench_command() -> None:
    """Measure speed, memory and scale against baselines."""
    raise click.ClickException("not implemented yet")
