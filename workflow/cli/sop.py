"""SOP definitions: validate, list, export as BPMN."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workflow.cli.base import Context, emit, fail, handles_errors, main
from workflow.config import Config
from workflow.errors import NotFound


@main.group()
def sop() -> None:
    """SOP definitions."""


@sop.command("validate")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def sop_validate(files: tuple[Path, ...]) -> None:
    """Validate SOP files (default: every file in sop_definitions/)."""
    from workflow.sop.spec import SopRegistry
    from workflow.sop.yamlsource import SourceErrors

    config = Config.from_env()
    paths = list(files) or sorted(config.sop_dir.glob("*.yaml"))
    if not paths:
        fail(f"no SOP files found in {config.sop_dir}", 1)
    try:
        registry = SopRegistry.from_paths(paths)
    except SourceErrors as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    for spec in registry.all():
        click.echo(f"ok {spec.source_file}: {spec.key} v{spec.version}, {len(spec.steps)} steps")


@sop.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handles_errors
def sop_list(as_json: bool) -> None:
    """List the SOP versions that are defined."""
    specs = Context(None).registry.all()
    rows = [{"key": s.key, "version": s.version, "nama": s.nama, "steps": len(s.steps)} for s in specs]
    if as_json:
        emit(rows)
        return
    for row in rows:
        click.echo(f"{row['key']:34} v{row['version']:<3} {row['steps']:>3} steps  {row['nama']}")


@sop.command("export-bpmn")
@click.argument("sop_key")
@click.option("--version", "version", type=int, default=None, help="Default: the latest version.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The .bpmn file to write.")
@handles_errors
def sop_export_bpmn(sop_key: str, version: int | None, output: Path) -> None:
    """Write an SOP version as BPMN 2.0 XML with its diagram."""
    from workflow.sop.bpmn import export_bpmn

    try:
        spec = Context(None).registry.get(sop_key, version)
    except KeyError:
        if version:
            raise NotFound(
                f"unknown SOP {sop_key!r} version {version}", code="sop.unknown_version", sop=sop_key, version=version
            ) from None
        raise NotFound(f"unknown SOP {sop_key!r}", code="sop.unknown", sop=sop_key) from None
    output.write_bytes(export_bpmn(spec))
    click.echo(f"wrote {output}: {spec.key} v{spec.version}, {len(spec.steps)} steps")
