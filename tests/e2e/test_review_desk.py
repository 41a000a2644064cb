"""The review desk (issue 15, item 3): the Sekcam's "Analisa dan reviu" page and its return.

Kutorejo's 2024-TW1 cycle (S4 v2) is brought to step 9 with the demo's values
(workflow/services/demo.py DEMO_VALUES, column TW I); KL-1 is 402/402 with one bukti dukung
(`build_site` in test_web_app.py). The page is read and posted through Flask's test client; the
JSON API is called with a bearer token. The browser half is in test_review_desk_browser.py.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web_app import Site, build_site, csrf_of, login

from workflow.errors import WorkflowError
from workflow.services.demo import DEMO_VALUES, EXCEEDED_NOTE, SHORTFALL_NOTE
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission
from workflow.services.rekap import document_content
from workflow.services.review_desk import review_desk
from workflow.services.tokens import create_token

PERIOD = "2024-TW1"
REVIEW = "reviu_sekcam"
ROW_NOTE = "Jumlah pelayanan sesuai standar belum cocok dengan register PATEN."


def bring_to_review(service: WorkflowService, perf: PerformanceService, instance_id: int) -> int:
    """Every ASN enters the demo's TW I values (with the demo's notes where a note is asked) and
    every step is done until the Sekcam's review; return the review task's id."""
    while (status := service.status(instance_id)).state != REVIEW:
        for waiting in status.waiting_on:
            actor = service.candidates(waiting.task_id)[0]
            for code in perf.owed(waiting.task_id):
                raw = DEMO_VALUES[code][0]
                if raw is None:
                    sub = Submission(actor, code, PERIOD, pending=True, note="Belum dirilis oleh sumber data")
                elif "/" in raw:
                    top, bottom = raw.split("/")
                    sub = Submission(actor, code, PERIOD, numerator=top, denominator=bottom)
                else:
                    sub = Submission(actor, code, PERIOD, value=raw)
                try:
                    perf.submit(sub)
                except WorkflowError as exc:
                    note = SHORTFALL_NOTE if exc.code == "realisasi.needs_reason" else EXCEEDED_NOTE
                    perf.submit(dataclasses.replace(sub, note=note))
            view = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id)
            service.act(waiting.task_id, view.actions[0], actor)
    return service.status(instance_id).waiting_on[0].task_id


@pytest.fixture
def at_review(tmp_path: Path) -> Iterator[tuple[Site, int]]:
    site = build_site(f"sqlite:///{tmp_path / 'web.db'}", tmp_path / "uploads")
    yield site, bring_to_review(site.service, site.perf, site.instance_id)
    site.service.db.dispose()


def _row(page: str, code: str) -> str:
    """The HTML of CODE's row on the review page."""
    found = re.search(rf'<tr data-code="{re.escape(code)}".*?</tr>', page, re.S)
    assert found, code
    return found.group(0)


def test_each_row_shows_owner_evidence_quarters_and_flags_in_indonesian(at_review: tuple[Site, int]) -> None:
    site, task_id = at_review
    page = login(site.app, "sekcam").get(f"/tasks/{task_id}").get_data(as_text=True)
    kl1 = _row(page, "KL-1")
    assert "Nur Hasanah, S.AP." in kl1 and "kasi.pelayanan" in kl1  # examples/org-kutorejo.yaml
    assert f'href="/evidence/{site.evidence_id}">bukti.pdf</a>' in kl1  # uploaded by build_site
    assert "TW I: 402/402" in kl1 and "402/402 = 100,00%" in kl1 and "Sangat Memuaskan" in kl1
    desk = review_desk(site.service, site.instance_id)
    assert desk is not None
    flagged = [r for r in desk.rows if r.flagged]
    assert flagged, "the demo's TW I values raise at least one plausibility flag"
    first = _row(page, flagged[0].code)
    assert 'data-flagged="1"' in first and "badge text-bg-warning" in first
    # The flag in words, with an Indonesian decimal comma (web/filters.py flag_text).
    assert re.search(r"<li>(Capaian|Di bawah target|Lonjakan)[^<]*\d,\d\d%", first), first
    assert page.count("<tr data-code=") == len(desk.rows)


def test_only_flagged_rows_are_shown_with_the_query_parameter(at_review: tuple[Site, int]) -> None:
    site, task_id = at_review
    client = login(site.app, "sekcam")
    desk = review_desk(site.service, site.instance_id)
    assert desk is not None and 0 < desk.flagged_count < len(desk.rows)
    every = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert not re.search(r"<tr data-code=[^>]*\shidden>", every)
    only = client.get(f"/tasks/{task_id}?flagged=1").get_data(as_text=True)
    shown = re.findall(r'<tr data-code="([^"]+)"[^>]*?(?<!hidden)>', only)
    assert sorted(shown) == sorted(r.code for r in desk.rows if r.flagged)
    assert "Tampilkan semua baris" in only


def test_the_desk_adds_nothing_to_the_signed_document(at_review: tuple[Site, int]) -> None:
    site, _task_id = at_review
    with site.service.db.unit_of_work(readonly=True) as uow:
        from workflow.adapters.models import Instance

        instance = uow.session.get(Instance, site.instance_id)
        content = document_content(uow.session, instance, "Pengukuran Data Kinerja")
    assert "Nur Hasanah" not in content and "bukti.pdf" not in content and "flag" not in content


def test_a_row_note_on_an_unticked_row_is_refused_and_everything_typed_comes_back(
    at_review: tuple[Site, int],
) -> None:
    site, task_id = at_review
    client = login(site.app, "sekcam")
    page = f"/tasks/{task_id}"
    typed = {"csrf_token": csrf_of(client, page), "action": "return", "row-KL-2": "on", "rownote-KL-2": "Cek notulen.",
             "rownote-KL-1": ROW_NOTE, "note": "Catatan umum yang tidak boleh hilang."}  # fmt: skip
    answer = client.post(f"{page}/act", data=typed)
    assert answer.status_code == 422  # the desk again, as submitted
    assert site.service.status(site.instance_id).state == REVIEW  # nothing happened
    again = answer.get_data(as_text=True)
    error = re.search(r'id="review-error">([^<]*)<', again)
    assert error and "baris KL-1" in error.group(1) and "tidak dicentang" in error.group(1)
    assert 'id="row-KL-2" checked' in again and ">Cek notulen.</textarea>" in again
    assert 'id="row-KL-1" checked' not in again and f">{ROW_NOTE}</textarea>" in again
    assert ">Catatan umum yang tidak boleh hilang.</textarea>" in again
    # Shown once: a reload shows the page as it is.
    assert 'id="review-error"' not in client.get(page).get_data(as_text=True)


def test_a_return_with_row_notes_needs_no_general_note_on_the_page(at_review: tuple[Site, int]) -> None:
    site, task_id = at_review
    client = login(site.app, "sekcam")
    page = f"/tasks/{task_id}"
    done = client.post(f"{page}/act", data={"csrf_token": csrf_of(client, page), "action": "return",
                                            "row-KL-1": "on", "rownote-KL-1": ROW_NOTE, "note": ""})  # fmt: skip
    assert done.status_code == 302 and done.headers["Location"] == f"/instances/{site.instance_id}"
    status = site.service.status(site.instance_id)
    assert status.state == "pengukuran_asn"
    assert [w.assignee for w in status.waiting_on] == ["kasi.pelayanan"]  # KL-1's owner only
    back = [e for e in site.service.history(site.instance_id) if e.action == "return"]
    assert [e.note for e in back] == [f"KL-1: {ROW_NOTE}"]  # the audit note: the rows' notes
    kl1 = next(r for r in site.perf.rekap("kutorejo", PERIOD)["rows"] if r["code"] == "KL-1")
    assert (kl1["status"], kl1["return_note"]) == ("dikembalikan", ROW_NOTE)
    entry = next(t for t in site.service.tasks_for("kasi.pelayanan") if t.step_id == "pengukuran_asn")
    assert entry.return_note == f"KL-1: {ROW_NOTE}"


def test_a_plain_return_still_needs_a_note_and_keeps_it_typed(at_review: tuple[Site, int]) -> None:
    site, task_id = at_review
    client = login(site.app, "sekcam")
    page = f"/tasks/{task_id}"
    answer = client.post(
        f"{page}/act", data={"csrf_token": csrf_of(client, page), "action": "return", "row-KL-1": "on"}
    )
    shown = answer.get_data(as_text=True)
    assert "baris KL-1: wajib disertai catatan" in shown and 'id="row-KL-1" checked' in shown
    answer = client.post(f"{page}/act", data={"csrf_token": csrf_of(client, page), "action": "return", "note": ""})
    assert "pengembalian wajib disertai catatan" in answer.get_data(as_text=True)
    assert site.service.status(site.instance_id).state == REVIEW


def test_the_api_returns_rows_with_no_general_note(at_review: tuple[Site, int]) -> None:
    site, task_id = at_review
    client = site.app.test_client()
    headers = {"Authorization": f"Bearer {create_token(site.service, 'sekcam')}"}
    refused = client.post(f"/api/v1/tasks/{task_id}/return", json={}, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"] == "note: a return needs a note saying what to correct"
    answer = client.post(f"/api/v1/tasks/{task_id}/return", json={"rows": {"KL-1": ROW_NOTE}}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert site.service.status(site.instance_id).state == "pengukuran_asn"
    kl1 = next(r for r in site.perf.rekap("kutorejo", PERIOD)["rows"] if r["code"] == "KL-1")
    assert kl1["status"] == "dikembalikan"
