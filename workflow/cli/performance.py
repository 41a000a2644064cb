"""Performance data: capaian, the XLSX import, indicators, target versions, realisasi, the tracker, the rekap."""

from __future__ import annotations

import re
from pathlib import Path

import click

from workflow.cli.base import Context, db_option, emit, fail, handles_errors, main
from workflow.domain.capaian import POLICIES, capaian, capaian_grade
from workflow.domain.scales import load_scale, scale_names
from workflow.errors import InvalidInput, NotFound, invalid_value


@main.command("capaian")
@click.option("--target", required=True, help="A number (93,35 or 93.35) or a grade (B, BB, A, AA).")
@click.option("--realisasi", required=True)
@click.option("--direction", type=click.Choice(["positive", "negative"]), default="positive", show_default=True)
@click.option("--policy", type=click.Choice(sorted(POLICIES)), default="mojokerto", show_default=True)
@click.option("--scale", default=None, help=f"Category of the realisasi on this scale: {', '.join(scale_names())}.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def capaian_command(target: str, realisasi: str, direction: str, policy: str, scale: str | None, as_json: bool) -> None:
    """Capaian of a realisasi against its target (Decimal, 2 places, half-up)."""
    from workflow.domain.numbers import parse_number

    if scale is not None and scale not in scale_names():
        known = ", ".join(scale_names())
        raise NotFound(f"unknown scale {scale!r}; known: {known}", code="cli.unknown_scale", scale=scale, known=known)
    grades = [t for t in (target, realisasi) if re.fullmatch(r"\s*[A-Da-d]{1,2}\s*", t)]
    try:
        if len(grades) == 2:
            value = capaian_grade(target, realisasi, scale or "sakip", POLICIES[policy])
            band = next((b for b in load_scale(scale or "sakip").bands if b.grade == realisasi.strip().upper()), None)
        elif grades:
            raise InvalidInput("target, realisasi: both must be numbers, or both grades", code="cli.mixed_values")
        else:
            t = parse_number(target, "target")
            r = parse_number(realisasi, "realisasi")
            value = capaian(t, r, direction, POLICIES[policy])
            band = load_scale(scale).band_for(r) if scale else None
    except ValueError as exc:  # NumberError included: the message names the field
        raise invalid_value(exc) from None
    category = None
    if scale and band is not None:
        category = band.grade if band.grade == band.label else f"{band.grade} ({band.label})"
    if as_json:
        emit({"capaian": str(value), "category": category})
    else:
        click.echo(f"capaian {value}%" + (f", {category}" if category else ""))


@main.group("data")
def data_group() -> None:
    """Indicators and targets: import from XLSX."""


@data_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--as", "username", required=True, help="A Tim SAKIP member, the Kasubag PPK, the sekcam or an admin.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def data_import(file: Path, unit: str, year: int, username: str, as_json: bool, db_url: str | None) -> None:
    """Import the plan tree, indicators and target sets of UNIT for YEAR (all rows or none)."""
    from workflow.services.workbook import ImportErrors, import_workbook

    if not file.is_file():
        raise InvalidInput(f"file: {file} does not exist", code="file.missing", file=str(file))
    try:
        report = import_workbook(Context(db_url).db, file, unit, year, username)
    except ImportErrors as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        fail(f"{len(exc.errors)} bad row(s) in {file.name}; nothing was imported", InvalidInput.exit_code)
        return
    if as_json:
        emit(report.as_json())
        return
    click.echo(
        f"{unit} {year}: {report.nodes_created} node baru, {report.nodes_updated} diperbarui; "
        f"{report.indicators_created} indikator baru, {report.indicators_updated} diperbarui"
    )
    for label in report.target_sets:
        click.echo(f"  target: {label}")
    for label in report.unchanged:
        click.echo(f"  tidak berubah: {label}")
    for warning in report.warnings:
        click.echo(f"  peringatan: {warning}")


@main.command("indicators")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def indicators_command(unit: str, year: int, as_json: bool, db_url: str | None) -> None:
    """List UNIT's indicators for YEAR with their targets in every version."""
    rows = Context(db_url).performance().indicators(unit, year)
    if as_json:
        emit(rows)
        return
    for row in rows:
        targets = ", ".join(f"{label}: {value}" for label, value in row["targets"].items())
        click.echo(f"{row['code']:8} {row['name']} [{row['satuan']}; {row['kind']}; {row['owner']}] {targets}")


@main.group("targets")
def targets_group() -> None:
    """Target versions: list them, switch a cycle to another one."""


@targets_group.command("list")
@click.option("--unit", required=True)
@click.option("--year", required=True, type=int)
@db_option
@handles_errors
def targets_list(unit: str, year: int, db_url: str | None) -> None:
    emit(Context(db_url).performance().target_sets(unit, year))


@targets_group.command("use")
@click.argument("instance_id", type=int)
@click.option("--set", "kind", required=True, type=click.Choice(["pk", "pk_perubahan", "renstra"]))
@click.option("--version", type=int, default=None, help="Default: the newest version of that set.")
@click.option("--as", "username", required=True)
@click.option("--note", required=True, help="Why: e.g. the PK Perubahan signed after the P-APBD.")
@db_option
@handles_errors
def targets_use(instance_id: int, kind: str, version: int | None, username: str, note: str, db_url: str | None) -> None:
    """Measure INSTANCE_ID (and the cycles after it) against another target version; audited."""
    emit(Context(db_url).performance().use_targets(instance_id, kind, username, note, version))


@main.group("realisasi")
def realisasi_group() -> None:
    """Enter realisasi inside an open data-entry task."""


@realisasi_group.command("submit")
@click.option("--as", "username", required=True)
@click.option("--indicator", "code", required=True, help="The indicator code, e.g. IKU-1.")
@click.option("--period", required=True, help="The triwulan, e.g. 2024-TW1.")
@click.option("--value", default=None, help="93,35 or 93.35; a grade (B); a ratio as 1736/1736.")
@click.option("--numerator", default=None, help="For a ratio indicator, with --denominator.")
@click.option("--denominator", default=None)
@click.option("--pending", is_flag=True, help="An external value the source has not published yet.")
@click.option("--source-period", default=None, help="The period an external value was taken from (e.g. 2023).")
@click.option("--note", default=None, help="Hambatan when the target is missed.")
@click.option("--unit", default=None, help="Only needed when you belong to several units.")
@click.option("--evidence", "evidence", multiple=True, type=click.Path(path_type=Path), help="A bukti dukung file.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def realisasi_submit(
    username: str, code: str, period: str, value: str | None, numerator: str | None, denominator: str | None,
    pending: bool, source_period: str | None, note: str | None, unit: str | None, evidence: tuple[Path, ...],
    as_json: bool, db_url: str | None,
) -> None:  # fmt: skip
    """Enter one indicator's realisasi for a triwulan (exit codes as for `sakip act`)."""
    from workflow.services.performance import Submission

    files = []
    for path in evidence:
        if not path.is_file():
            raise InvalidInput(f"evidence: {path} does not exist", code="evidence.missing", path=str(path))
        files.append((path.name, path.read_bytes()))
    result = Context(db_url).performance().submit(
        Submission(
            username=username, code=code, period=period, value=value, numerator=numerator,
            denominator=denominator, note=note, pending=pending, source_period=source_period, unit=unit,
            files=files,
        )
    )  # fmt: skip
    if as_json:
        emit(result)
    else:
        shown = "menunggu sumber" if result["pending"] else result["value"]
        capaian_text = f", capaian {result['capaian']}%" if result["capaian"] else ""
        click.echo(f"{result['indicator']} {result['period']}: {shown} ({result['status']}{capaian_text})")


@main.command("tracker")
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@db_option
@handles_errors
def tracker_command(instance_id: int, as_json: bool, db_url: str | None) -> None:
    """Who still owes which realisasi in a cycle (belum / dikirim / dikembalikan / diterima)."""
    data = Context(db_url).performance().tracker(instance_id)
    if as_json:
        emit(data)
        return
    click.echo(f"instance {data['instance_id']} {data['period']}: {data['progress'] or 0}% terisi")
    for owner in data["owners"]:
        statuses = ", ".join(f"{i['code']}={i['status']}" for i in owner["indicators"])
        click.echo(f"  {owner['owner']:22} ({', '.join(owner['people']) or '-'}): {statuses}")


@main.command("rekap")
@click.option("--unit", required=True)
@click.option("--period", required=True, help="The triwulan, e.g. 2024-TW4.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), default=None, help="Also write the rekap as XLSX.")
@db_option
@handles_errors
def rekap_command(unit: str, period: str, as_json: bool, xlsx: Path | None, db_url: str | None) -> None:
    """The Kertas Kerja Pengukuran: per indicator the target version, TW values, capaian and category."""
    data = Context(db_url).performance().rekap(unit, period)
    if xlsx is not None:
        from workflow.services.workbook import write_rekap_xlsx

        write_rekap_xlsx(data, xlsx)
    if not data["measured"]:  # no cycle and no realisasi of the triwulan: the rows are listed, unmeasured
        click.echo(f"no cycle for {data['unit']} {data['period']}: values and capaian are empty", err=True)
    if as_json:
        emit(data)
        return
    click.echo(f"Kertas Kerja {data['unit_name']} {data['period']} — target {data['target_set'] or '-'}")
    for row in data["rows"]:
        tws = " ".join(str(row[f"tw{q}"] or "-") for q in (1, 2, 3, 4))
        click.echo(
            f"  {row['code']:8} {row['name'][:50]:50} T={row['target'] or '-':>10} [{tws}] "
            f"R={row['value'] or '-':>12} C={row['capaian'] or '-':>7} {row['predikat'] or ''}"
        )
    for group in data["sasaran"]:
        click.echo(f"  rata-rata {group['code']}: {group['average_capaian'] or '-'} {group['predikat'] or ''}")
