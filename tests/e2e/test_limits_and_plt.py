"""Issue #13, findings 2 and 5, through every entry point (service, CLI, API, page).

- Free text has a length limit (`workflow.domain.limits.NOTE_MAX`): a longer note, return note, row
  note, realisasi note or reassign reason is refused naming the field (CLI exit 5, API 422, an
  Indonesian message on the page) and writes nothing.
- The service decides which holding acts: a person who is definitive Kasi Pelayanan and Plt.
  Kasi Trantib acts on the Trantib seksi's data-entry task through the Plt. holding, and every
  audit event of it (realisasi and action) records `acting_for`, from the page (without the Plt.
  switch), the API and the CLI alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import S1, advance_to
from sqlalchemy import func, select
from test_cli import sakip
from test_web_app import Site, build_site, csrf_of, login

from workflow.adapters.models import AuditEvent, Person, Realisasi, RoleAssignment, Task, Unit
from workflow.domain.limits import NOTE_MAX
from workflow.errors import InvalidInput
from workflow.services.demo import DEMO_VALUES
from workflow.services.engine import WorkflowService
from workflow.services.performance import Submission
from workflow.services.tokens import create_token

TOO_LONG = "x" * (NOTE_MAX + 1)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    built = build_site(f"sqlite:///{tmp_path / 'limits.db'}", tmp_path / "uploads")
    yield built  # type: ignore[misc]
    built.service.db.dispose()


def _count(service: WorkflowService, model: Any) -> int:
    with service.db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _writes(service: WorkflowService) -> tuple[int, int, int]:
    return _count(service, AuditEvent), _count(service, Realisasi), _count(service, Task)


# --- finding 2: free text has a limit ----------------------------------------------------------


def test_every_free_text_of_the_service_layer_is_limited_and_a_refusal_writes_nothing(site: Site) -> None:
    service, perf = site.service, site.perf
    before = _writes(service)
    entry = site.entry_task_id
    for call, field in (
        (lambda: service.act(entry, "done", "kasi.pelayanan", TOO_LONG), "note"),
        (
            lambda: perf.submit(
                Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="1", denominator="2", note=TOO_LONG)
            ),
            "catatan",
        ),  # fmt: skip
        (
            lambda: perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="1" * 65, denominator="2")),
            "pembilang",
        ),  # fmt: skip
        (lambda: service.reassign(entry, "kasi.trantib", "camat", TOO_LONG), "note"),
        (lambda: perf.use_targets(site.instance_id, "pk", "tim.sakip1", TOO_LONG), "note"),
        (lambda: service.act(entry, "done", "kasi.pelayanan", "a\x00b"), "note"),
    ):
        with pytest.raises(
            InvalidInput, match=rf"^{field}: (at most [\d.]+ characters, [\d.]+ given$|contains the control)"
        ):
            call()
        assert _writes(service) == before, field
    # At the limit it is accepted.
    result = perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="401", denominator="402",
                                    note="y" * NOTE_MAX))  # fmt: skip
    assert result["note"] == "y" * NOTE_MAX


def test_a_returned_rows_note_is_limited(site: Site) -> None:
    from test_documents import _enter

    service = site.service
    _enter(service, site.perf, site.instance_id)
    advance_to(service, site.instance_id, "reviu_sekcam")
    review = service.status(site.instance_id).waiting_on[0].task_id
    before = _writes(service)
    with pytest.raises(InvalidInput, match=r"^rows KL-1: at most 2\.000 characters, 2\.001 given$"):
        service.act(review, "return", "sekcam", "Mohon diperbaiki", {"KL-1": TOO_LONG})
    assert _writes(service) == before
    assert service.status(site.instance_id).state == "reviu_sekcam"


def test_the_cli_refuses_a_long_note_with_exit_5(site: Site) -> None:
    db = str(site.service.db.engine.url)
    refused = sakip("act", str(site.entry_task_id), "done", "--as", "kasi.pelayanan", "--note", TOO_LONG,
                    db=db, expect=5)  # fmt: skip
    assert "note: at most 2.000 characters, 2.001 given" in refused.stderr
    refused = sakip("realisasi", "submit", "--as", "kasi.pelayanan", "--indicator", "KL-1", "--period", "2024-TW1",
                    "--value", "402/402", "--note", TOO_LONG, db=db, expect=5)  # fmt: skip
    assert "catatan: at most 2.000 characters" in refused.stderr
    with site.service.db.unit_of_work(readonly=True) as uow:
        assert uow.session.get(Task, site.entry_task_id).status == "open"  # type: ignore[union-attr]


def test_the_api_answers_422_naming_the_field(site: Site) -> None:
    token = create_token(site.service, "kasi.pelayanan")
    client = site.app.test_client()
    answer = client.post(f"/api/v1/tasks/{site.entry_task_id}/done", json={"note": TOO_LONG},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 422
    assert "note: at most 2.000 characters" in answer.get_data(as_text=True)


def test_the_page_shows_the_limit_in_indonesian_keeps_the_cookie_small_and_writes_nothing(site: Site) -> None:
    client = login(site.app, "kasi.pelayanan")
    page = f"/tasks/{site.entry_task_id}"
    shown = client.get(page).get_data(as_text=True)
    assert f'maxlength="{NOTE_MAX}"' in shown  # the browser stops the typing first
    before = _writes(site.service)
    typed = {"code": "KL-1", "numerator": "400", "denominator": "402", "note": "z" * 1_000_000}
    answer = client.post(f"{page}/realisasi", data={**typed, "csrf_token": csrf_of(client, page)})
    assert answer.status_code == 302
    cookie = answer.headers.get("Set-Cookie", "")
    assert len(cookie) < 4096  # what was typed is kept to show again, cut to the limit
    shown = client.get(page).get_data(as_text=True)
    assert "catatan: paling banyak 2.000 karakter (tertulis 1.000.000)" in shown
    client.post(f"{page}/act", data={"action": "done", "note": TOO_LONG, "csrf_token": csrf_of(client, page)})
    shown = client.get(page).get_data(as_text=True)
    assert "catatan: paling banyak 2.000 karakter (tertulis 2.001)" in shown
    assert _writes(site.service) == before


# --- finding 5: the service decides which holding acts -----------------------------------------


def _plt_trantib(site: Site, period: str) -> int:
    """kasi.pelayanan also Plt. Kasi Trantib; a pengumpulan cycle at its Kasi data entry. The
    Trantib seksi's task id."""
    service = site.service
    with service.db.unit_of_work() as uow:
        s = uow.session
        person = s.scalar(select(Person).where(Person.username == "kasi.pelayanan"))
        unit = s.scalar(select(Unit).where(Unit.code == "kutorejo"))
        assert person is not None and unit is not None
        if not s.scalar(select(RoleAssignment).where(RoleAssignment.person_id == person.id,
                                                     RoleAssignment.seksi == "trantib")):  # fmt: skip
            s.add(RoleAssignment(person_id=person.id, unit_id=unit.id, role="kasi", seksi="trantib", acting=True))
        uow.commit()
    instance_id = service.start(S1, "kutorejo", period, "staf").instance_id
    advance_to(service, instance_id, "isi_data_kasi")
    return next(w.task_id for w in service.status(instance_id).waiting_on if w.role == "kasi.trantib")


def _enter_owed(site: Site, task_id: int, period: str, via: str) -> list[str]:
    codes = site.perf.owed(task_id)
    assert codes
    for code in codes:
        raw = DEMO_VALUES[code][0]
        values = (
            {"pending": True}
            if raw is None
            else ({"numerator": raw.split("/")[0], "denominator": raw.split("/")[1]} if "/" in raw else {"value": raw})
        )
        if via == "service":
            site.perf.submit(Submission("kasi.pelayanan", code, period, note="Jadwal", unit="kutorejo", **values))
    return codes


def _events(site: Site, task_id: int) -> list[tuple[str, str | None, str]]:
    with site.service.db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.task_id == task_id).order_by(AuditEvent.id))
        return [(e.action, e.acting_for, e.actor) for e in rows if e.action in ("realisasi", "done")]


def test_the_plt_holding_acts_and_is_recorded_through_the_cli(site: Site) -> None:
    task_id = _plt_trantib(site, "2024-TW2")
    db = str(site.service.db.engine.url)
    codes = site.perf.owed(task_id)
    for code in codes:
        raw = DEMO_VALUES[code][0]
        args = ["--pending"] if raw is None else ["--value", raw]
        sakip("realisasi", "submit", "--as", "kasi.pelayanan", "--indicator", code, "--period", "2024-TW2",
              "--unit", "kutorejo", "--note", "Jadwal", *args, db=db)  # fmt: skip
    sakip("act", str(task_id), "done", "--as", "kasi.pelayanan", db=db)
    events = _events(site, task_id)
    assert [e[0] for e in events] == ["realisasi"] * len(codes) + ["done"]
    assert all(acting == "kasi.trantib" and actor == "kasi.pelayanan" for _a, acting, actor in events)


def test_the_plt_holding_acts_and_is_recorded_through_the_api(site: Site) -> None:
    task_id = _plt_trantib(site, "2024-TW2")
    codes = _enter_owed(site, task_id, "2024-TW2", via="service")
    token = create_token(site.service, "kasi.pelayanan")
    answer = site.app.test_client().post(f"/api/v1/tasks/{task_id}/done", json={},
                                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200, answer.get_data(as_text=True)
    events = _events(site, task_id)
    assert len(events) == len(codes) + 1
    assert all(acting == "kasi.trantib" for _a, acting, _actor in events)


def test_the_plt_holding_acts_and_is_recorded_from_the_page_without_the_switch(site: Site) -> None:
    task_id = _plt_trantib(site, "2024-TW2")
    client = login(site.app, "kasi.pelayanan")  # never presses the Plt. switch
    page = f"/tasks/{task_id}"
    codes = site.perf.owed(task_id)
    for code in codes:
        raw = DEMO_VALUES[code][0]
        values = (
            {"pending": "on"}
            if raw is None
            else ({"numerator": raw.split("/")[0], "denominator": raw.split("/")[1]} if "/" in raw else {"value": raw})
        )
        answer = client.post(f"{page}/realisasi", data={"code": code, "note": "Jadwal", **values,
                                                        "csrf_token": csrf_of(client, page)})  # fmt: skip
        assert answer.status_code == 302
    client.post(f"{page}/act", data={"action": "done", "csrf_token": csrf_of(client, page)})
    events = _events(site, task_id)
    assert [e[0] for e in events] == ["realisasi"] * len(codes) + ["done"]
    assert all(acting == "kasi.trantib" for _a, acting, _actor in events)
    # Their own seksi's task is acted on through the definitive holding: no acting_for.
    own = next(w.task_id for w in site.service.status(_instance_of(site, task_id)).waiting_on
               if w.role == "kasi.pelayanan")  # fmt: skip
    _enter_owed(site, own, "2024-TW2", via="service")
    assert {acting for _a, acting, _actor in _events(site, own)} == {None}


def _instance_of(site: Site, task_id: int) -> int:
    with site.service.db.unit_of_work(readonly=True) as uow:
        task = uow.session.get(Task, task_id)
        assert task is not None
        return task.instance_id
