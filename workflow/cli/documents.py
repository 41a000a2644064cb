"""The `doc` group: the SOP sheet, the Nota Dinas, the Format / Checklist, the Kertas Kerja, the Laporan
and the bukti dukung, as PDF, DOCX or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from workflow.cli.base import Context, db_option, handles_errors, main
from workflow.errors import NotFound


@main.group("doc")
def doc_group() -> None:
    """Documents: the SOP sheet, the Nota Dinas, the Format / Checklist, the Kertas Kerja, the
    Laporan and the bukti dukung, as PDF, DOCX (from editable Word templates) or XLSX."""


def _write_doc(data: bytes, output: Path) -> None:
    output.write_bytes(data)
    click.echo(f"written {output} ({len(data)} bytes)")


def _write_rendered(rendered: Any, fmt: str, output: Path) -> None:
    _write_doc(rendered.docx() if fmt == "docx" else rendered.pdf(), output)


format_option = click.option("--format", "fmt", type=click.Choice(["pdf", "docx"]), default="pdf", show_default=True)
output_option = click.option("-o", "--output", type=click.Path(path_type=Path), required=True)


@doc_group.command("templates")
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path, file_okay=False), required=True)
@handles_errors
def doc_templates(directory: Path) -> None:
    """Copy the default Word templates into DIRECTORY, to edit (letterhead, wording) and put in
    SAKIP_TEMPLATE_DIR (or its sub-folder named after a unit code). Existing files are kept."""
    import shutil

    from workflow.services.documents import TEMPLATES, WORD_TEMPLATES

    directory.mkdir(parents=True, exist_ok=True)
    for name in WORD_TEMPLATES:
        target = directory / f"{name}.docx"
        if target.exists():
            click.echo(f"kept {target} (already there)")
            continue
        shutil.copyfile(TEMPLATES / f"{name}.docx", target)
        click.echo(f"written {target}")


@doc_group.command("sop")
@click.argument("sop_key")
@click.option("--version", "version", type=int, default=None, help="Default: the latest version.")
@format_option
@output_option
@handles_errors
def doc_sop(sop_key: str, version: int | None, fmt: str, output: Path) -> None:
    """The SOP sheet in the standard format, with its bagan alur."""
    from workflow.services.documents import sop_sheet

    ctx = Context(None)
    try:
        spec = ctx.registry.get(sop_key, version)
    except KeyError:
        if version:
            raise NotFound(
                f"unknown SOP {sop_key!r} version {version}", code="sop.unknown_version", sop=sop_key, version=version
            ) from None
        raise NotFound(f"unknown SOP {sop_key!r}", code="sop.unknown", sop=sop_key) from None
    _write_rendered(sop_sheet(spec), fmt, output)


@doc_group.command("laporan")
@click.argument("instance_id", type=int)
@format_option
@output_option
@db_option
@handles_errors
def doc_laporan(instance_id: int, fmt: str, output: Path, db_url: str | None) -> None:
    """The Laporan Hasil Pengukuran Data Kinerja (draft, or the final one frozen at signing)."""
    from workflow.services.documents import laporan

    _write_rendered(laporan(Context(db_url).service(), instance_id), fmt, output)


@doc_group.command("bukti")
@click.argument("instance_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["pdf"]), default="pdf", show_default=True)
@output_option
@db_option
@handles_errors
def doc_bukti(instance_id: int, fmt: str, output: Path, db_url: str | None) -> None:
    """The bukti dukung of reviu berjenjang: audit events, draft versions with hashes, sign-off."""
    from workflow.services.documents import bukti_dukung

    _write_doc(bukti_dukung(Context(db_url).service(), instance_id).pdf(), output)


@doc_group.command("nota-dinas")
@click.argument("instance_id", type=int)
@format_option
@output_option
@db_option
@handles_errors
def doc_nota_dinas(instance_id: int, fmt: str, output: Path, db_url: str | None) -> None:
    """The Nota Dinas that opens the cycle (numbered once, by the unit's pattern)."""
    from workflow.services.documents import nota_dinas

    _write_rendered(nota_dinas(Context(db_url).service(), instance_id), fmt, output)


@doc_group.command("format")
@click.option("--unit", required=True)
@click.option("--period", required=True, help="The triwulan, e.g. 2024-TW2.")
@click.option("--as", "username", required=True, help="Whose checklist (a Kasi, an ASN …).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx"]), default="pdf", show_default=True)
@output_option
@db_option
@handles_errors
def doc_format(unit: str, period: str, username: str, fmt: str, output: Path, db_url: str | None) -> None:
    """The Format / Checklist data kinerja of one person: their indicators, targets and the quarter to fill."""
    from workflow.services.documents import format_checklist, format_pdf, format_xlsx

    data = format_checklist(Context(db_url).service(), unit, period, username)
    if fmt == "xlsx":
        format_xlsx(data, output)
        click.echo(f"written {output}")
    else:
        _write_doc(format_pdf(data).pdf(), output)


@doc_group.command("rekap")
@click.option("--unit", required=True)
@click.option("--period", required=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx"]), default="xlsx", show_default=True)
@output_option
@db_option
@handles_errors
def doc_rekap(unit: str, period: str, fmt: str, output: Path, db_url: str | None) -> None:
    """The Kertas Kerja Pengukuran of a unit and triwulan as a workbook."""
    from workflow.services.workbook import write_rekap_xlsx

    write_rekap_xlsx(Context(db_url).performance().rekap(unit, period), output)
    click.echo(f"written {output}")
