"""An ASN leaves the unit (mutasi) while their data-entry task is open: nobody could take the task
and the fan-out could never join. The Camat, the Sekcam or an administrator gives it to someone who
holds the role, in one transaction with its audit event; `sakip check` stays clean."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import ROOT, FrozenClock, PostgresServer, new_postgres_database
from helpers import S4, advance_to, load_org_file
from sqlalchemy import func, select

from workflow.adapters.db import Database
from workflow.adapters.models import AuditEvent, Notification, Person, RoleAssignment, Task
from workflow.errors import Conflict, InvalidInput, NotAllowed
from workflow.services import performance
from workflow.services.check import check
from workflow.services.demo import DEMO_VALUES
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission
from workflow.services.workbook import import_workbook
from workflow.sop.spec import SopRegistry


def _leaves(service: WorkflowService, username: str, role: str, last_day: date) -> None:
    """USERNAME's ROLE ends on LAST_DAY (the org file would say valid_to)."""
    with service.db.unit_of_work() as uow:
        s = uow.session
        person_id = s.scalar(select(Person.id).where(Person.username == username))
        for assignment in s.scalars(
            select(RoleAssignment).where(RoleAssignment.person_id == person_id, RoleAssignment.role == role)
        ):
            assignment.valid_to = last_day
        uow.commit()


def _events(service: WorkflowService) -> int:
    with service.db.unit_of_work(readonly=True) as uow:
        return uow.session.scalar(select(func.count(AuditEvent.id))) or 0


def test_a_departed_asns_task_is_reassigned_and_the_cycle_goes_on(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "pengukuran_asn")
    waiting = {w.assignee: w.task_id for w in service.status(instance_id).waiting_on}
    task_id = waiting["tim.sakip2"]
    _leaves(service, "tim.sakip2", "asn", date(2024, 3, 31))  # moved away before the cycle's 1 April
    assert service.candidates(task_id) == []  # stuck: nobody may act on it
    before = _events(service)

    # Refused, and nothing written: not a leader, no reason, someone without the role, a Kasi's own.
    with pytest.raises(NotAllowed):
        service.reassign(task_id, "kasubag", "kasi.pelayanan", "mutasi")
    with pytest.raises(InvalidInput, match="note"):
        service.reassign(task_id, "kasubag", "sekcam", "  ")
    with pytest.raises(InvalidInput, match="'staf' does not hold 'asn'"):
        service.reassign(task_id, "staf", "sekcam", "mutasi")
    with pytest.raises(InvalidInput, match="already given to 'kasi.pelayanan'"):
        service.reassign(waiting["kasi.pelayanan"], "kasi.pelayanan", "sekcam", "mutasi")
    assert _events(service) == before

    result = service.reassign(task_id, "kasubag", "sekcam", "Mutasi ke Kecamatan Dlanggu per 1 April 2024")
    assert (result.from_username, result.to_username) == ("tim.sakip2", "kasubag")
    assert service.candidates(task_id) == ["kasubag"]
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.action, event.actor, event.role, event.task_id) == ("reassign", "sekcam", "sekcam", task_id)
        assert event.from_state == event.to_state == "pengukuran_asn"
        assert "dari tim.sakip2 kepada kasubag" in (event.note or "") and "Dlanggu" in (event.note or "")
        kasubag = s.scalar(select(Person.id).where(Person.username == "kasubag"))
        notes = list(s.scalars(select(Notification).where(Notification.person_id == kasubag)))
        assert any("dialihkan" in n.subject for n in notes)
    assert _events(service) == before + 1

    service.act(task_id, "done", "kasubag")
    with pytest.raises(Conflict, match="already done"):  # nothing left to reassign
        service.reassign(task_id, "tim.sakip1", "sekcam", "lagi")
    advance_to(service, instance_id, "evaluasi")  # the fan-out joins
    with service.db.unit_of_work(readonly=True) as uow:
        report = check(uow.session, service.registry)
        assert report.ok, report.violations
        done = uow.session.get(Task, task_id)
        assert done is not None and done.outcome == "done"


def test_a_task_of_a_position_is_not_reassigned_and_an_admin_may_reassign(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    first = service.status(instance_id).waiting_on[0].task_id  # the Camat's Nota Dinas: any Camat takes it
    with pytest.raises(InvalidInput, match="not to one person"):
        service.reassign(first, "sekcam", "sekcam", "cuti")
    advance_to(service, instance_id, "pengukuran_asn")
    task_id = next(w.task_id for w in service.status(instance_id).waiting_on if w.assignee == "tim.sakip1")
    result = service.reassign(task_id, "tim.sakip2", "admin", "Cuti besar")
    assert result.to_username == "tim.sakip2"
    with service.db.unit_of_work(readonly=True) as uow:
        event = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.actor, event.role) == ("admin", "admin")


def _enter(perf: PerformanceService, username: str, code: str) -> None:
    raw = DEMO_VALUES[code][0]  # the demo's value for this indicator, shaped like the seeds' rows
    if raw is None:
        perf.submit(Submission(username, code, "2024-TW1", pending=True))
    elif "/" in raw:
        top, bottom = raw.split("/")
        perf.submit(Submission(username, code, "2024-TW1", numerator=top, denominator=bottom, note="Jadwal"))
    else:
        perf.submit(Submission(username, code, "2024-TW1", value=raw, note="Jadwal"))


def test_the_reassigned_task_still_owes_what_the_departed_asn_answered_for(
    service: WorkflowService, clock: FrozenClock
) -> None:
    import_workbook(service.db, ROOT / "examples" / "kutorejo-2024.xlsx", "kutorejo", 2024, "admin", service.clock)
    perf = PerformanceService(service.db, service.registry, clock=service.clock)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "pengukuran_asn")
    waiting = {w.assignee: w.task_id for w in service.status(instance_id).waiting_on}
    task_id, own_task = waiting["kasubag"], waiting["tim.sakip2"]
    owed = perf.owed(task_id)
    assert owed  # the Kasubag PPK answers for % RA and the Renja outputs (org file, examples workbook)
    _leaves(service, "kasubag", "asn", date(2024, 4, 1))
    _leaves(service, "kasubag", "kasubag_ppk", date(2024, 4, 1))
    clock.advance(days=1)  # the day after: gone, with their task open and nothing entered
    takers = service.candidates_for_role("kutorejo", "asn")
    assert service.stuck_tasks(instance_id) == {task_id: ("kasubag", takers)} and "kasubag" not in takers

    with pytest.raises(Conflict):  # the page showed someone else: reassigned meanwhile
        service.reassign(task_id, "tim.sakip2", "sekcam", "Mutasi", expected_from="kasi.trantib")
    service.reassign(task_id, "tim.sakip2", "sekcam", "Mutasi", expected_from="kasubag")
    assert perf.owed(task_id) == owed  # still the departed Kasubag's indicators, not tim.sakip2's own
    assert perf.owed(own_task) != owed
    for code in owed:  # the new holder enters them through the reassigned task
        _enter(perf, "tim.sakip2", code)
    assert perf.owed(task_id) == []
    service.act(task_id, "done", "tim.sakip2")
    with service.db.unit_of_work(readonly=True) as uow:
        task = uow.session.get(Task, task_id)
        assert task is not None and task.reassigned_from_id is not None
        assert check(uow.session, service.registry).ok


def test_a_kasis_task_of_a_position_is_never_reassigned(service: WorkflowService) -> None:
    instance_id = service.start("pengumpulan-data-kinerja", "kutorejo", "2024-TW1", "staf").instance_id
    while True:
        status = service.status(instance_id)
        if any(w.seksi for w in status.waiting_on):
            break
        waiting = status.waiting_on[0]
        actor = service.candidates(waiting.task_id)[0]
        view = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id)
        service.act(waiting.task_id, view.actions[0], actor)
    kasi_task = next(w.task_id for w in status.waiting_on if w.seksi == "pelayanan")
    with pytest.raises(InvalidInput, match="belongs to 'kasi.pelayanan', not to one person"):
        service.reassign(kasi_task, "kasi.pemerintahan", "sekcam", "cuti")
    assert service.stuck_tasks(instance_id) == {}


@pytest.mark.postgres
def test_an_entry_by_the_old_holder_racing_a_reassignment_is_refused(
    postgres_server: PostgresServer, registry: SopRegistry, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry checks who may take the task, then waits for the instance lock; a reassignment
    committed in between must be seen (on PostgreSQL, where the two really interleave)."""
    db = Database.from_url(new_postgres_database(postgres_server))
    load_org_file(db)
    service = WorkflowService(db, registry, clock=clock)
    import_workbook(db, ROOT / "examples" / "kutorejo-2024.xlsx", "kutorejo", 2024, "admin", clock)
    perf = PerformanceService(db, registry, clock=clock)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "pengukuran_asn")
    task_id = next(w.task_id for w in service.status(instance_id).waiting_on if w.assignee == "kasubag")
    code = perf.owed(task_id)[0]

    real = performance.owned_indicators

    def reassigned_meanwhile(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(performance, "owned_indicators", real)
        service.reassign(task_id, "tim.sakip2", "sekcam", "Mutasi")  # another request, committed first
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(performance, "owned_indicators", reassigned_meanwhile)
    with pytest.raises(Conflict, match=f"task {task_id} was given to someone else meanwhile"):
        _enter(perf, "kasubag", code)
    assert perf.owed(task_id)[0] == code  # nothing was entered
    db.dispose()
