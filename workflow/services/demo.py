"""`sakip demo`: drive one Pengukuran Data Kinerja cycle through the service, as its users would.

The demo measures Kecamatan Kutorejo's 2024 indicators (the example workbook
`examples/kutorejo-2024.xlsx`: PK 002:440-449, PK Perubahan 002:461-470). In the ASN fan-out
every ASN enters the realisasi they answer for; the values below are shaped like the seeds'
quarterly rows (DOMAIN.md §2.5) and end, in TW IV, at Kutorejo's published 2024 results
(002:540-549). The sekcam returns one indicator row once with a note, as the SOP allows
(002:1399); its owner corrects it, and the cycle ends at the archive. In TW IV the Tim SAKIP
first switches the cycle to the PK Perubahan, an audited action.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from workflow.adapters.models import Person
from workflow.config import PROJECT_ROOT
from workflow.domain.periods import Period
from workflow.errors import Conflict, InvalidInput, WorkflowError
from workflow.services.check import check
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission
from workflow.services.tokens import set_all_passwords
from workflow.services.workbook import import_workbook

SOP_KEY = "pengukuran-data-kinerja"
DEMO_YEAR = 2024
WORKBOOK = PROJECT_ROOT / "examples" / "kutorejo-2024.xlsx"
RETURNED_ROW = "KL-1"
RETURN_NOTE = "Jumlah pelayanan sesuai standar belum cocok dengan register PATEN; mohon dicek ulang."

# Per indicator, the entry for TW I..IV: a value, "N/D" for a ratio, or None while an outside
# source has not published (SUKMA-e, the Inspektorat's LHE, BKPSDM). Notes explain a shortfall.
DEMO_VALUES: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
    "IKU-1": ("92,85", "93,20", "93,48", "93,66"),  # TW IV: 93,66 (002:540)
    "KL-1": ("402/402", "431/431", "455/455", "448/448"),  # 1.736/1.736 in the year (002:666)
    "KL-2": ("6/6", "7/7", "6/6", "7/7"),  # 26/26 (002:672)
    "KL-3.1": (None, None, "82,75", "82,75"),  # LHE AKIP 82,75 (002:732)
    "KL-3.2": (  # realisasi s.d. triwulan / pagu P-APBD; TW IV 2.775.362.102 / 2.973.061.600 (002:736-738)
        "391.000.000/2.973.061.600",
        "1.466.000.000/2.973.061.600",
        "2.065.000.000/2.973.061.600",
        "2.775.362.102,00/2.973.061.600,00",
    ),
    "KL-3.3": (None, None, None, "84,76"),  # IP ASN 84,76 (002:548)
    "KL-4": ("1", "2", "3", "3"),  # 3 Inovasi (002:549)
    "7.01.01.2.01.07": ("3", "3", "2", "3"),
    "7.01.01.2.02.01": ("20", "20", "20", "20"),
    # Nonperizinan shaped like Sooko's E.81 row 462/428/1.235/1.037 (001:631), scaled to 690.
    "7.01.02.2.04": ("101", "93", "270", "226"),
    "7.01.02.2.04.02": ("4", "5", "4", "5"),
    "7.01.06.2.01.02": ("1", "2", "1", "2"),
    "7.01.06.2.01.09": ("1", "1", "1", "1"),
    "7.01.06.2.01.11": ("1", "1", "2", "1"),
    "7.01.06.2.01.12": ("2", "3", "3", "3"),
}
SHORTFALL_NOTE = (
    "Realisasi di bawah rencana triwulan; penyebab dan tindak lanjutnya dibahas dalam rapat evaluasi bulanan."
)
EXCEEDED_NOTE = "Target terlampaui karena permohonan meningkat; target tahun depan diusulkan naik."


def _free_period(service: WorkflowService, unit: str, year: int) -> str:
    for y in range(year, year + 50):
        for tw in range(1, 5):
            period = str(Period(y, tw))
            if service.find_instance(SOP_KEY, unit, period) is None:
                return period
    raise Conflict(f"no free triwulan left for {unit}", code="demo.no_free_triwulan", unit=unit)


def _queues(service: WorkflowService, usernames: list[str], echo: Callable[[str], None]) -> None:
    for username in usernames:
        views = service.tasks_for(username)
        if views:
            items = "; ".join(f"#{v.id} {v.step_no} {v.step_name} [{', '.join(v.actions)}]" for v in views)
            echo(f"    antrian {username}: {items}")


def ensure_demo_data(service: WorkflowService, unit: str, year: int, echo: Callable[[str], None]) -> None:
    """Import the example workbook for UNIT and YEAR unless its indicators are there already."""
    perf = PerformanceService(service.db, service.registry, clock=service.clock)
    if perf.indicators(unit, year):
        return
    admin = _admin(service)
    report = import_workbook(service.db, Path(WORKBOOK), unit, year, admin, service.clock)
    echo(
        f"== data kinerja {unit} {year} dimuat dari {WORKBOOK.name}: {report.indicators_created} indikator, "
        f"target {', '.join(report.target_sets)}"
    )


def _admin(service: WorkflowService) -> str:
    with service.db.unit_of_work(readonly=True) as uow:
        name = uow.session.scalar(select(Person.username).where(Person.is_admin.is_(True)).limit(1))
    if name is None:
        raise WorkflowError("the demo needs an admin user (load examples/org-kutorejo.yaml)", code="demo.needs_admin")
    return name


def _enter(perf: PerformanceService, username: str, codes: list[str], period: str, echo: Callable[[str], None]) -> None:
    quarter = Period.triwulan(period).triwulan_no
    for code in codes:
        raw = DEMO_VALUES.get(code, (None, None, None, None))[quarter - 1]
        if raw is None:
            sub = Submission(username, code, period, pending=True, note="Belum dirilis oleh sumber data")
        elif "/" in raw:
            top, bottom = raw.split("/")
            sub = Submission(username, code, period, numerator=top, denominator=bottom)
        else:
            sub = Submission(username, code, period, value=raw)
        try:
            result = perf.submit(sub)
        except WorkflowError as exc:
            notes = {"realisasi.needs_reason": SHORTFALL_NOTE, "realisasi.needs_explanation": EXCEEDED_NOTE}
            if exc.code not in notes:
                raise
            sub = dataclasses.replace(sub, note=notes[exc.code])
            result = perf.submit(sub)
        shown = "menunggu sumber" if result["pending"] else result["value"]
        capaian = f" capaian {result['capaian']}%" if result["capaian"] else ""
        echo(f"      {username} isi {code}: {shown}{capaian}")


def run_demo(service: WorkflowService, unit: str, period: str | None, echo: Callable[[str], None]) -> int:
    """Run the cycle; return the instance id."""
    spec = service.registry.get(SOP_KEY)
    period = period or _free_period(service, unit, DEMO_YEAR)
    try:
        spec.check_period(period)  # refused as `sakip start` refuses it, before any demo data is loaded
    except ValueError as exc:
        raise InvalidInput(f"period: {exc}", code="period.invalid", detail=str(exc)) from None
    parsed = Period.parse(period)
    year = parsed.year
    if year == DEMO_YEAR:
        ensure_demo_data(service, unit, year, echo)
    perf = PerformanceService(service.db, service.registry, clock=service.clock)
    starter = service.candidates_for_role(unit, spec.first_step.pelaksana)[0]
    started = service.start(SOP_KEY, unit, period, starter)
    echo(f"== {spec.nama} ({SOP_KEY} v{spec.version}) untuk {unit} {period}: instance {started.instance_id}")
    if parsed.quarter == 4 and any(t["kind"] == "pk_perubahan" for t in perf.target_sets(unit, year)):
        switcher = service.candidates_for_role(unit, "tim_sakip")[0]
        switched = perf.use_targets(
            started.instance_id, "pk_perubahan", switcher, "PK Perubahan ditandatangani setelah P-APBD"
        )
        echo(f"    {switcher}: target {switched['from']} -> {switched['to']}")
    returned = False
    everyone = service.usernames_in_unit(unit)
    while True:
        status = service.status(started.instance_id)
        if not status.waiting_on:
            break
        step = spec.step(status.state)
        echo(f"-- Langkah {step.no} {step.nama} ({step.pelaksana}, waktu {step.waktu.printed if step.waktu else '-'})")
        _queues(service, everyone, echo)
        for waiting in status.waiting_on:
            actor = service.candidates(waiting.task_id)[0]
            owed = perf.owed(waiting.task_id)
            if owed:
                _enter(perf, actor, owed, period, echo)
            if step.kind.value == "review" and not returned and _has_row(perf, unit, period, RETURNED_ROW):
                result = service.act(waiting.task_id, "return", actor, RETURN_NOTE, {RETURNED_ROW: RETURN_NOTE})
                returned = True
                echo(f"    {actor}: return baris {RETURNED_ROW} -> {result.to_state} ({RETURN_NOTE})")
                continue
            action = step.actions[0]
            result = service.act(waiting.task_id, action, actor)
            echo(f"    {actor}: {action} -> {result.to_state}")
    echo(f"== selesai. Riwayat instance {started.instance_id}:")
    for event in service.history(started.instance_id):
        j = event.as_json()
        note = f" — {event.note}" if event.note else ""
        echo(
            f"    {j['at']} {event.actor:20} [{event.role}] {event.action}: "
            f"{event.from_state} -> {event.to_state}{note}"
        )
    if perf.indicators(unit, year):
        _print_rekap(perf, unit, period, echo)
    with service.db.unit_of_work(readonly=True) as uow:
        report = check(uow.session, service.registry)
    echo(
        f"== sakip check: {'bersih' if report.ok else 'PELANGGARAN'} ({report.instances} instance, "
        f"{report.tasks} tugas, {report.events} peristiwa audit)"
    )
    for violation in report.violations:
        echo(f"    {violation}")
    if not report.ok:
        raise WorkflowError(
            f"sakip check found {len(report.violations)} violation(s) after the demo cycle",
            code="demo.check_failed",
            count=len(report.violations),
        )
    return started.instance_id


def _has_row(perf: PerformanceService, unit: str, period: str, code: str) -> bool:
    try:
        return any(r["code"] == code and r["status"] != "belum" for r in perf.rekap(unit, period)["rows"])
    except WorkflowError:
        return False


def _print_rekap(perf: PerformanceService, unit: str, period: str, echo: Callable[[str], None]) -> None:
    data = perf.rekap(unit, period)
    echo(f"== Kertas Kerja Pengukuran {data['unit_name']} {period} (target {data['target_set']}):")
    for row in data["rows"]:
        echo(
            f"    {row['code']:16} T={row['target'] or '-':>8}  R={row['value_percent'] or row['value'] or '-':>8}  "
            f"capaian={row['capaian'] or '-':>7}  {row['predikat'] or ''} [{row['status']}]"
        )
    for group in data["sasaran"]:
        echo(f"    rata-rata {group['code']}: {group['average_capaian'] or '-'} ({group['predikat'] or '-'})")


def open_next_cycle(service: WorkflowService, unit: str, echo: Callable[[str], None]) -> int:
    """Start the next free triwulan and leave it at its first step, for the users of the web UI."""
    period = _free_period(service, unit, DEMO_YEAR)
    if Period.parse(period).year == DEMO_YEAR:
        ensure_demo_data(service, unit, DEMO_YEAR, echo)
    spec = service.registry.get(SOP_KEY)
    starter = service.candidates_for_role(unit, spec.first_step.pelaksana)[0]
    return service.start(SOP_KEY, unit, period, starter).instance_id


def set_passwords(service: WorkflowService, password: str) -> list[str]:
    return set_all_passwords(service, password)
