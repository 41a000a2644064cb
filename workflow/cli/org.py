"""The organisation: load units, people and roles from a file."""

from __future__ import annotations

from pathlib import Path

import click

from workflow.cli.base import Context, db_option, handles_errors, main


@main.group()
def org() -> None:
    """The organisation: units, people, roles."""


@org.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@db_option
@handles_errors
def org_load(file: Path, db_url: str | None) -> None:
    """Load an organisation file (all of it, or nothing if any line is wrong)."""
    from workflow.services.admin import load_org_file
    from workflow.services.org import parse_org_file

    parsed = parse_org_file(file)
    summary = load_org_file(Context(db_url).service(), parsed)
    click.echo(f"loaded {summary.units} units, {summary.people} people, {summary.assignments} role assignments")
