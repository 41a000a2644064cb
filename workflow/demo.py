"""`sakip demo`: drive one Pengukuran Data Kinerja cycle through the service, as its users would.

Every step is taken by a user who holds the step's role; the sekcam returns the draft once
with a note, as the SOP allows (002:1399), and the cycle ends at the archive.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from workflow.check import check
from workflow.errors import Conflict, WorkflowError
from workflow.service import WorkflowService

SOP_KEY = "pengukuran-data-kinerja"
RETURN_NOTE = "Realisasi Seksi Pelayanan belum sesuai Kertas Kerja; mohon direkap ulang."


def _free_period(service: WorkflowService, unit: str, year: int) -> str:
    for y in range(year, year + 50):
        for tw in range(1, 5):
            period = f"{y}-TW{tw}"
            if service.find_instance(SOP_KEY, unit, period) is None:
                return period
    raise Conflict(f"no free triwulan left for {unit}")


def _queues(service: WorkflowService, usernames: list[str], echo: Callable[[str], None]) -> None:
    for username in usernames:
        views = service.tasks_for(username)
        if views:
            items = "; ".join(f"#{v.id} {v.step_no} {v.step_name} [{', '.join(v.actions)}]" for v in views)
            echo(f"    antrian {username}: {items}")


def run_demo(service: WorkflowService, unit: str, period: str | None, echo: Callable[[str], None]) -> int:
    """Run the cycle; return the instance id."""
    spec = service.registry.get(SOP_KEY)
    period = period or _free_period(service, unit, datetime.now().year)
    starter = service.candidates_for_role(unit, spec.first_step.pelaksana)[0]
    started = service.start(SOP_KEY, unit, period, starter)
    echo(f"== {spec.nama} ({SOP_KEY} v{spec.version}) untuk {unit} {period}: instance {started.instance_id}")
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
            if step.kind.value == "review" and not returned:
                result = service.act(waiting.task_id, "return", actor, RETURN_NOTE)
                returned = True
                echo(f"    {actor}: return -> {result.to_state} ({RETURN_NOTE})")
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
    with service.db.unit_of_work(readonly=True) as uow:
        report = check(uow.session, service.registry)
    echo(
        f"== sakip check: {'bersih' if report.ok else 'PELANGGARAN'} ({report.instances} instance, "
        f"{report.tasks} tugas, {report.events} peristiwa audit)"
    )
    for violation in report.violations:
        echo(f"    {violation}")
    if not report.ok:
        raise WorkflowError(f"sakip check found {len(report.violations)} violation(s) after the demo cycle")
    return started.instance_id
