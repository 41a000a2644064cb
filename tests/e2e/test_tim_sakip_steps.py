"""The Tim SAKIP's working steps and closed tasks in a real browser (Debian's Chromium, Playwright).

One S4 cycle of Kutorejo 2024-TW1 runs through the service up to the Tim SAKIP's steps (every ASN
enters the demo values, `workflow/services/demo.py` DEMO_VALUES). Then, as the Tim would:
- step 6 (Evaluasi capaian) shows the tracker's summary and the plausibility flags, with a link to
  the full tracker; step 7 (Rekap) shows the Kertas Kerja with links to it and to the draft Laporan;
- after the sekcam returns one row and its owner corrects it, the Tim's steps open with exactly
  that row under "Yang berubah sejak dikembalikan";
- the Tim's first, closed, evaluasi task shows who finished it and when, in local time, with no
  action form; posting an action on it is refused in Indonesian without a UTC ISO timestamp.
Screenshots are kept under tmp_path; axe-core checks each page touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe import violations
from conftest import missing_service
from helpers import advance_to
from playwright.sync_api import Page, expect
from sqlalchemy import select
from test_browser import (  # noqa: F401  (server is a fixture)
    CHROMIUM,
    PASSWORD,
    PERIOD,
    TIMEOUT_MS,
    Server,
    _chromium,
    _enter_other_asn,
    _start_through_the_api,
    server,
)

from workflow.adapters.models import Instance, Person, Task, Unit
from workflow.domain.localtime import waktu_lokal
from workflow.services.demo import SHORTFALL_NOTE
from workflow.services.performance import Submission
from workflow.services.plausibility import period_flags

RETURNED = "KL-1"  # 402/402 in TW I (demo.py DEMO_VALUES, 002:666)
ROW_NOTE = "Jumlah pelayanan belum cocok dengan register PATEN; mohon dicek ulang."
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(\+00:00|Z)")


def _task_of(site: Server, instance_id: int, step: str) -> int:
    waiting = site.service.status(instance_id).waiting_on
    assert [w.step_id for w in waiting] == [step]
    return waiting[0].task_id


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page).to_have_url(f"{base}/")


@pytest.fixture
def page(server: Server) -> Iterator[Page]:  # noqa: F811
    if not CHROMIUM.exists():
        missing_service(f"{CHROMIUM} is not installed (Debian package chromium)")
    with _chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID", bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        yield context.new_page()
        context.close()


def test_the_tim_sakip_steps_carry_the_tracker_the_flags_the_kertas_kerja_and_what_changed(
    server: Server,  # noqa: F811
    page: Page,
    tmp_path: Path,
) -> None:
    service, perf, base = server.service, server.perf, server.base
    instance_id = _start_through_the_api(server)
    advance_to(service, instance_id, "pengukuran_asn")
    _enter_other_asn(server, instance_id, keep=None)  # every ASN, through the service
    first_evaluasi = _task_of(server, instance_id, "evaluasi")
    tracker = perf.tracker(instance_id)
    rekap = perf.rekap_for_instance(instance_id)
    assert rekap is not None
    # A row below its target: the demo's shortfall rows carry SHORTFALL_NOTE (their hambatan).
    below = [r for r in rekap["rows"] if r["note"] == SHORTFALL_NOTE]
    assert below, "the demo values miss no target: nothing to flag"

    # --- step 6, Evaluasi capaian: the tracker's summary and the flags ---------------------------
    _login(page, base, "tim.sakip1")
    page.goto(f"{base}/tasks/{first_evaluasi}")
    expect(page.locator("h1")).to_have_text("6. Evaluasi capaian kinerja")
    summary = page.locator("#tracker-summary")
    expect(summary).to_contain_text(f"dikirim: {tracker['counts']['dikirim']}")
    expect(summary).to_contain_text(f"dari {tracker['total']} indikator")
    expect(page.locator("#tracker-owing")).to_have_text("Semua indikator sudah diisi.")
    expect(page.locator("#tracker-link")).to_have_attribute("href", f"/instances/{instance_id}/tracker")
    flagged = page.locator(f'#flag-table tr[data-code="{below[0]["code"]}"]')
    expect(flagged).to_contain_text("Di bawah target")
    expect(flagged).to_contain_text(below[0]["owner"])
    # Only the flagged rows are listed, each once.
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = s.get(Instance, instance_id)
        flags = period_flags(s, s.get(Unit, instance.unit_id), PERIOD, instance)
    listed = page.locator("#flag-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert listed == [r["code"] for r in rekap["rows"] if flags.get(r["code"])]
    expect(page.locator("#since-return")).to_have_count(0)  # nothing was reviewed yet
    expect(page.locator("#action-done")).to_be_visible()
    page.screenshot(path=str(tmp_path / "tim-01-evaluasi.png"), full_page=True)
    assert violations(page) == []
    page.click("#action-done")
    expect(page.locator(".alert-success")).to_contain_text("tercatat")

    # --- step 7, Rekap: the Kertas Kerja and the draft Laporan ------------------------------------
    rekap_task = _task_of(server, instance_id, "rekap")
    page.goto(f"{base}/tasks/{rekap_task}")
    table = page.locator("#kertas-kerja #rekap-table")
    expect(table.locator("tbody tr")).to_have_count(len(rekap["rows"]))
    expect(table.locator(f'tr[data-code="{RETURNED}"]')).to_contain_text("402/402")
    expect(table.locator("input")).to_have_count(0)  # not selectable
    expect(page.locator("#rekap-xlsx")).to_have_attribute("href", f"/rekap/kutorejo/{PERIOD}?format=xlsx")
    expect(page.locator("#laporan-pdf")).to_have_attribute("href", f"/instances/{instance_id}/laporan.pdf")
    expect(page.locator("#tracker-summary")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "tim-02-rekap.png"), full_page=True)
    assert violations(page) == []
    page.click("#action-done")
    expect(page.locator(".alert-success")).to_contain_text("tercatat")
    service.act(_task_of(server, instance_id, "lapor_rekap"), "done", "tim.sakip1")

    # --- the sekcam returns one row; its owner corrects it -----------------------------------------
    review = _task_of(server, instance_id, "reviu_sekcam")
    service.act(review, "return", "sekcam", None, {RETURNED: ROW_NOTE})
    entry = _task_of(server, instance_id, "pengukuran_asn")
    owner = service.candidates(entry)[0]
    perf.submit(Submission(owner, RETURNED, PERIOD, numerator="400", denominator="402",
                           note="Dicocokkan dengan register PATEN."))  # fmt: skip
    service.act(entry, "done", owner)

    # --- step 6 again: exactly the corrected row, in Indonesian decimals ---------------------------
    second_evaluasi = _task_of(server, instance_id, "evaluasi")
    page.goto(f"{base}/tasks/{second_evaluasi}")
    changed = page.locator("#since-return li")
    expect(changed).to_have_count(1)
    expect(changed).to_have_attribute("data-code", RETURNED)
    expect(changed).to_contain_text("realisasi s.d. 402/402 → 400/402")
    expect(changed).to_contain_text("capaian 100,00% → 99,50%")  # 400/402 = 99,50 %
    page.screenshot(path=str(tmp_path / "tim-03-evaluasi-after-return.png"), full_page=True)
    assert violations(page) == []
    page.click("#action-done")
    page.goto(f"{base}/tasks/{_task_of(server, instance_id, 'rekap')}")
    expect(page.locator("#since-return li")).to_have_count(1)
    expect(page.locator("#kertas-kerja #rekap-table")).to_be_visible()

    # --- the first evaluasi task is closed: read-only, who and when in local time ------------------
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    page.goto(f"{base}/tasks/{first_evaluasi}")
    expect(page.locator("button[name=action]")).to_have_count(0)
    expect(page.locator("form[action$='/act']")).to_have_count(0)
    expect(page.locator("#tracker-summary")).to_have_count(0)  # a record, not the live tools
    with service.db.unit_of_work(readonly=True) as uow:
        done_at, name = uow.session.execute(
            select(Task.finished_at, Person.name)
            .join(Person, Person.id == Task.finished_by_id)
            .where(Task.id == first_evaluasi)
        ).one()
    local = waktu_lokal(done_at, "Asia/Jakarta")  # Kutorejo's zone (examples/org-kutorejo.yaml)
    finished = page.locator("#finished")
    expect(finished).to_contain_text(f"Selesai oleh {name} (tim.sakip1) pada {local}")
    assert local.endswith(" WIB")
    page.screenshot(path=str(tmp_path / "tim-04-closed.png"), full_page=True)
    assert violations(page) == []

    # Acting on it anyway (a stale tab's form) is refused in Indonesian, in local time.
    page.evaluate(
        """([url, token]) => { const f = document.createElement('form'); f.method = 'post'; f.action = url;
           for (const [k, v] of [['csrf_token', token], ['action', 'done']]) {
             const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }
           document.body.appendChild(f); f.submit(); }""",
        [f"/tasks/{first_evaluasi}/act", csrf],
    )
    expect(page).to_have_url(f"{base}/tasks/{first_evaluasi}")
    refused = page.locator(".alert-danger")
    expect(refused).to_have_text(f"tugas {first_evaluasi} sudah selesai oleh tim.sakip1 pada {local}")
    assert not ISO_UTC.search(refused.inner_text())
    page.screenshot(path=str(tmp_path / "tim-05-closed-refused.png"), full_page=True)
