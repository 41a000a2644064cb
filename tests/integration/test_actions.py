"""Acting on tasks: who may, what is refused, and that a refused action writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import ORG_FILE, SOP_DIR, FrozenClock
from drive import drive
from helpers import S4, advance_to, assert_clean, load_org_file
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from workflow.adapters.db import Database
from workflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflow.services.engine import WorkflowService
from workflow.services.org import parse_org_file
from workflow.sop.spec import SopRegistry


@pytest.fixture
def s4(service: WorkflowService) -> int:
    return service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id


def test_start_opens_the_nota_dinas_for_the_camat(service: WorkflowService, s4: int) -> None:
    tasks = service.tasks_for("camat")
    assert [(t.instance_id, t.step_id, t.step_no, t.actions) for t in tasks] == [(s4, "nota_dinas", "1.", ("done",))]
    # 5 Menit (002:1390) after it opened.
    assert (tasks[0].due_at - service.clock()).total_seconds() == 5 * 60  # type: ignore[operator]
    assert service.tasks_for("sekcam") == []


def test_the_same_sop_cannot_start_twice_for_one_unit_and_period(service: WorkflowService, s4: int) -> None:
    with assert_clean(service), pytest.raises(Conflict, match="already started"):
        service.start(S4, "kutorejo", "2024-TW1", "camat")


@pytest.mark.parametrize(
    ("key", "period", "user", "error"),
    [
        (S4, "2024-Q1", "camat", InvalidInput),
        (S4, "2024", "camat", InvalidInput),
        ("penyusunan-lkjip", "2024-TW1", "staf", InvalidInput),
        (S4, "2024-TW1", "kasi.trantib", NotAllowed),
        (S4, "2024-TW1", "nobody", NotFound),
        ("no-such-sop", "2024-TW1", "camat", NotFound),
    ],
)
def test_a_refused_start_writes_nothing(
    service: WorkflowService, key: str, period: str, user: str, error: type[Exception]
) -> None:
    with assert_clean(service), pytest.raises(error):
        service.start(key, "kutorejo", period, user)


def test_an_admin_may_start_a_cycle_and_is_recorded_as_admin(service: WorkflowService) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW2", "admin").instance_id
    event = service.history(instance_id)[0]
    assert (event.actor, event.role, event.action, event.to_state) == ("admin", "admin", "start", "nota_dinas")


@pytest.mark.parametrize(
    ("action", "user", "note", "error"),
    [
        ("done", "sekcam", None, NotAllowed),  # not the camat's task
        ("done", "tim.sakip1", None, NotAllowed),
        ("approve", "camat", None, InvalidInput),  # not an action of this step
        ("done", "ghost", None, NotFound),
    ],
)
def test_a_refused_action_writes_nothing(
    service: WorkflowService, s4: int, action: str, user: str, note: str | None, error: type[Exception]
) -> None:
    task_id = service.tasks_for("camat")[0].id
    with assert_clean(service), pytest.raises(error):
        service.act(task_id, action, user, note)
    assert service.status(s4).state == "nota_dinas"


def test_a_return_without_a_note_is_refused_and_changes_nothing(service: WorkflowService, s4: int) -> None:
    review = advance_to(service, s4, "reviu_sekcam")
    with assert_clean(service):
        for note in (None, "", "   "):
            with pytest.raises(InvalidInput, match="note"):
                service.act(review, "return", "sekcam", note)
    assert service.status(s4).state == "reviu_sekcam"


def test_acting_twice_on_one_task_is_a_conflict(service: WorkflowService, s4: int) -> None:
    task_id = service.tasks_for("camat")[0].id
    service.act(task_id, "done", "camat")
    with assert_clean(service), pytest.raises(Conflict, match="already done by camat"):
        service.act(task_id, "done", "camat")


def test_unknown_task_is_not_found(service: WorkflowService, s4: int) -> None:
    with pytest.raises(NotFound, match="unknown task 999999"):
        service.act(999_999, "done", "camat")


def test_fan_out_lists_who_has_not_finished_and_moves_on_after_the_last(service: WorkflowService, s4: int) -> None:
    advance_to(service, s4, "pengukuran_asn")
    asn = set(service.candidates_for_role("kutorejo", "asn"))
    waiting = service.status(s4).waiting_on
    assert {w.assignee for w in waiting} == asn and len(waiting) == len(asn) == 8

    finished: set[str] = set()
    for w in waiting[:-1]:
        result = service.act(w.task_id, "done", w.assignee or "")
        finished.add(w.assignee or "")
        assert result.to_state == "pengukuran_asn"
        assert {x.assignee for x in service.status(s4).waiting_on} == asn - finished

    last = waiting[-1]
    assert service.act(last.task_id, "done", last.assignee or "").to_state == "evaluasi"


def test_one_asn_cannot_complete_another_asns_fan_out_task(service: WorkflowService, s4: int) -> None:
    advance_to(service, s4, "pengukuran_asn")
    mine = [t for t in service.tasks_for("kasi.trantib") if t.step_id == "pengukuran_asn"]
    theirs = [w for w in service.status(s4).waiting_on if w.assignee == "kasi.pelayanan"]
    assert len(mine) == 1 and mine[0].assignee == "kasi.trantib"
    with pytest.raises(NotAllowed):
        service.act(theirs[0].task_id, "done", "kasi.trantib")


def test_kasi_fan_out_opens_one_task_per_seksi(service: WorkflowService) -> None:
    instance_id = service.start("pengumpulan-data-kinerja", "kutorejo", "2024-TW1", "staf").instance_id
    advance_to(service, instance_id, "isi_data_kasi")
    waiting = service.status(instance_id).waiting_on
    assert sorted(w.role for w in waiting) == [
        "kasi.kemasyarakatan",
        "kasi.pelayanan",
        "kasi.pembangunan",
        "kasi.pemerintahan",
        "kasi.trantib",
    ]


def _org_with(tmp_path: Path, extra_roles: dict[str, list[dict[str, object]]]) -> Path:
    data = yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))
    for person in data["people"]:
        person.setdefault("roles", []).extend(extra_roles.get(person["username"], []))
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_plt_acts_in_the_role_and_the_audit_records_acting_for(
    service: WorkflowService, s4: int, tmp_path: Path
) -> None:
    # As in Kutorejo, where a Plt. Camat signed the LKjIP (002:25-33).
    org = _org_with(tmp_path, {"kasubag": [{"unit": "kutorejo", "role": "camat", "plt": True, "from": "2024-03-01"}]})
    load_org_file(service.db, org)
    task = service.tasks_for("kasubag")[0]
    assert task.step_id == "nota_dinas"

    service.act(task.id, "done", "kasubag")

    event = service.history(s4)[-1]
    assert (event.actor, event.role, event.acting_for) == ("kasubag", "camat", "camat")
    definitive = service.history(s4)[0]
    assert (definitive.actor, definitive.acting_for) == ("camat", None)


def test_an_expired_plt_can_no_longer_act(service: WorkflowService, s4: int, clock: FrozenClock) -> None:
    # The demo org gives the sekcam a Plt. Camat assignment for June 2025 only.
    clock.now = clock.now.replace(year=2025, month=6, day=10)
    assert [t.step_id for t in service.tasks_for("sekcam")] == ["nota_dinas"]
    clock.now = clock.now.replace(month=7, day=1)
    assert service.tasks_for("sekcam") == []
    with pytest.raises(NotAllowed):
        service.act(service.tasks_for("camat")[0].id, "done", "sekcam")


def test_the_audit_trail_is_append_only_in_the_database(service: WorkflowService, s4: int) -> None:
    for statement in ("UPDATE audit_events SET note = 'edited'", "DELETE FROM audit_events"):
        with service.db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    assert [e.action for e in service.history(s4)] == ["start"]


def test_a_refused_org_file_loads_nothing(service: WorkflowService, tmp_path: Path) -> None:
    bad = _org_with(tmp_path, {"camat": [{"unit": "kutorejo", "role": "bupati"}]})
    with pytest.raises(Exception, match=r"org.yaml:\d+: people\[0\]\.roles\[1\]\.role: unknown role 'bupati'"):
        parse_org_file(bad)


def test_history_of_an_unknown_instance_is_not_found(service: WorkflowService) -> None:
    with pytest.raises(NotFound):
        service.history(424242)


def test_an_instance_continues_after_the_engine_is_recreated(
    service: WorkflowService, s4: int, db_url: str, clock: FrozenClock
) -> None:
    advance_to(service, s4, "pengukuran_asn")
    waiting = service.status(s4).waiting_on
    for w in waiting[:3]:
        service.act(w.task_id, "done", w.assignee or "")
    service.db.dispose()

    fresh = WorkflowService(Database.from_url(db_url), SopRegistry.from_directory(SOP_DIR), clock=clock)
    status = fresh.status(s4)
    assert status.state == "pengukuran_asn" and len(status.waiting_on) == len(waiting) - 3
    assert drive(fresh, s4)[-1] == "selesai"
    fresh.db.dispose()


def test_assignment_dates_are_the_units_local_dates(
    service: WorkflowService, tmp_path: Path, clock: FrozenClock
) -> None:
    org = _org_with(tmp_path, {"kasubag": [{"unit": "kutorejo", "role": "camat", "plt": True, "from": "2024-05-01"}]})
    load_org_file(service.db, org)
    service.start(S4, "kutorejo", "2024-TW1", "camat")
    # 30 April 23:30 UTC is already 1 May 06:30 in Kutorejo (WIB, UTC+7).
    clock.now = datetime(2024, 4, 30, 23, 30, tzinfo=UTC)
    assert [t.step_id for t in service.tasks_for("kasubag")] == ["nota_dinas"]
    clock.now = datetime(2024, 4, 30, 16, 30, tzinfo=UTC)  # 23:30 WIB on 30 April
    assert service.tasks_for("kasubag") == []


def test_a_unit_may_override_a_steps_time_standard(service: WorkflowService, tmp_path: Path) -> None:
    data = yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))
    kutorejo = next(u for u in data["units"] if u["code"] == "kutorejo")
    kutorejo["calendar"] = {"waktu": {f"{S4}/nota_dinas": "1 hari"}}  # instead of 5 Menit (002:1390)
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_org_file(service.db, path)

    service.start(S4, "kutorejo", "2024-TW1", "camat")

    [task] = service.tasks_for("camat")
    # Opened Monday 1 April 2024 09:00 WIB: one working day later, same office time.
    assert task.due_at == datetime(2024, 4, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        # A header injection: refused for its newline, as every one-line text of the file is (#13).
        ("a@b\nBcc: x@y.example", "contains the control character U\\+000A"),
        ("not-an-address", ".* is not an email address"),
    ],
)
def test_an_org_file_with_a_bad_email_address_is_refused(tmp_path: Path, email: str, reason: str) -> None:
    data = yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))
    data["people"][0]["email"] = email
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(Exception, match=rf"org.yaml:\d+: people\[0\]\.email: {reason}"):
        parse_org_file(path)
