"""iCalendar deadline feeds, fetched through the web app and parsed back with `icalendar`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FrozenClock
from flask.testing import FlaskClient
from helpers import S4
from icalendar import Calendar

from web import create_app
from workflow.errors import NotAllowed
from workflow.services.engine import WorkflowService
from workflow.services.icalfeed import issue_token, revoke_token
from workflow.services.schedule import load_schedule, parse_schedule_file
from workflow.services.unit_calendars import UnitCalendars

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def client(service: WorkflowService, db_url: str, clock: FrozenClock) -> Iterator[FlaskClient]:
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "CLOCK": clock})
    yield app.test_client()
    app.extensions["sakip_db"].dispose()


def _events(client: FlaskClient, path: str) -> dict[str, dict[str, object]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.data)
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID")
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Jakarta"]
    return {
        str(e["UID"]): {"summary": str(e["SUMMARY"]), "start": e.decoded("DTSTART"), "end": e.decoded("DTEND")}
        for e in calendar.walk("VEVENT")
    }


def _schedule(service: WorkflowService, tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text("kabupaten: mojokerto\nyears: [2024]\ntriwulan: {sops: [pengukuran-data-kinerja]}\n")
    with service.db.unit_of_work() as uow:
        load_schedule(uow.session, parse_schedule_file(path, service.registry), UnitCalendars(), service.clock())
        uow.commit()


def test_a_personal_feed_holds_my_open_deadlines_in_my_units_time(
    service: WorkflowService, client: FlaskClient, tmp_path: Path
) -> None:
    _schedule(service, tmp_path)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    token = issue_token(service, "camat")

    events = _events(client, token.path)

    [task] = service.tasks_for("camat")
    nota = events[f"task-{task.id}@alur-sakip"]
    assert nota["start"] == datetime(2024, 4, 1, 9, 5, tzinfo=WIB)  # opened 09:00 WIB, 5 Menit (002:1390)
    assert nota["start"].tzinfo is not None and str(nota["start"].tzinfo) == "Asia/Jakarta"  # type: ignore[union-attr]
    assert "Nota Dinas pengukuran" in str(nota["summary"])
    cycles = [uid for uid in events if uid.startswith("cycle-")]
    # 2024-TW1's deadline: close of office on Monday 22 April 2024, the 10th working day after
    # 31 March (Idul Fitri 10-11 April and its cuti bersama 8, 9, 12 and 15 April fall in between).
    [tw1] = [events[uid] for uid in cycles if "2024-TW1" in str(events[uid]["summary"])]
    assert tw1["end"] == datetime(2024, 4, 22, 16, 0, tzinfo=WIB)
    assert service.status(instance_id).state == "nota_dinas"


def test_uids_stay_stable_and_a_finished_task_disappears(
    service: WorkflowService, client: FlaskClient, clock: FrozenClock
) -> None:
    service.start(S4, "kutorejo", "2024-TW1", "camat")
    service.start(S4, "kutorejo", "2024-TW2", "camat")
    token = issue_token(service, "camat")
    first = _events(client, token.path)
    clock.advance(minutes=1)
    assert set(_events(client, token.path)) == set(first)  # regenerated, same events

    done = service.tasks_for("camat")[0]
    service.act(done.id, "done", "camat")

    after = _events(client, token.path)
    assert set(after) == set(first) - {f"task-{done.id}@alur-sakip"}


def test_a_revoked_or_replaced_token_gets_404(service: WorkflowService, client: FlaskClient) -> None:
    service.start(S4, "kutorejo", "2024-TW1", "camat")
    old = issue_token(service, "camat")
    assert client.get(old.path).status_code == 200

    new = issue_token(service, "camat")  # issuing a new address retires the old one
    assert client.get(old.path).status_code == 404
    assert client.get(new.path).status_code == 200
    assert revoke_token(service, "camat") == 1
    assert client.get(new.path).status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_the_unit_feed_is_for_the_tim_sakip_and_holds_every_open_task(
    service: WorkflowService, client: FlaskClient
) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    while service.status(instance_id).state != "pengukuran_asn":
        waiting = service.status(instance_id).waiting_on[0]
        service.act(waiting.task_id, "done", service.candidates(waiting.task_id)[0])
    with pytest.raises(NotAllowed):
        issue_token(service, "kasi.trantib", "kutorejo")

    events = _events(client, issue_token(service, "tim.sakip1", "kutorejo").path)

    open_tasks = {f"task-{w.task_id}@alur-sakip" for w in service.status(instance_id).waiting_on}
    assert set(events) == open_tasks and len(open_tasks) == 8  # every ASN's fan-out task
    personal = _events(client, issue_token(service, "kasi.trantib").path)
    assert len(personal) == 1  # only the Kasi's own


def test_times_are_written_in_the_units_zone(service: WorkflowService, client: FlaskClient, clock: FrozenClock) -> None:
    clock.now = datetime(2024, 4, 1, 2, 0, tzinfo=UTC)
    service.start(S4, "kutorejo", "2024-TW1", "camat")
    body = client.get(issue_token(service, "camat").path).data.decode()
    assert "DTSTART;TZID=Asia/Jakarta:20240401T090500" in body
    assert "UID:task-" in body and "END:VCALENDAR" in body
