"""The review desk in Chromium at 1366×768, the screen the Sekcam works on (issue 15, item 3).

The `server` fixture of test_browser.py serves Kutorejo's 2024 data; the cycle is brought to the
Sekcam's review (step 9) through the service with the demo's TW I values (test_review_desk.py
`bring_to_review`). Screenshots are kept under tmp_path (and printed) to be looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe import AXE_JS as AXE
from conftest import missing_service
from helpers import S4
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, PASSWORD, TIMEOUT_MS, Server, _chromium
from test_browser import server as server  # noqa: F401  (the fixture)
from test_review_desk import PERIOD, ROW_NOTE, bring_to_review

VIEWPORT = {"width": 1366, "height": 768}


def _open_review(page: Page, base: str, task_id: int) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "sekcam")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page).to_have_url(f"{base}/")
    page.goto(f"{base}/tasks/{task_id}")
    expect(page.locator("#rekap-table")).to_be_visible()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the review desk scrolls sideways by {overflow}px at 1366 px"


def _axe(page: Page) -> list[str]:
    """axe-core's violations on the page, but the site header's known colour contrast."""
    # Evaluated, not added as a <script>: the site's CSP (script-src 'self') refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate("axe.run({exclude: [['nav.navbar']]})")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result["violations"]]


@pytest.fixture
def review_task(server: Server) -> tuple[Server, int, int]:  # noqa: F811
    if not CHROMIUM.exists():
        missing_service(f"{CHROMIUM} is not installed (Debian package chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    instance_id = server.service.start(S4, "kutorejo", PERIOD, "camat").instance_id
    return server, instance_id, bring_to_review(server.service, server.perf, instance_id)


def test_the_sekcam_returns_one_row_with_only_a_row_note_at_1366(
    review_task: tuple[Server, int, int], tmp_path: Path
) -> None:
    server, instance_id, task_id = review_task
    with _chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT, locale="id-ID")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        _open_review(page, server.base, task_id)
        _no_sideways_scroll(page)
        kl1 = page.locator('#rekap-table tr[data-code="KL-1"]')
        expect(kl1).to_contain_text("Nur Hasanah, S.AP.")  # its owner, examples/org-kutorejo.yaml
        expect(kl1.locator(".capaian")).to_have_text(re.compile(r"100,00%"))
        status = kl1.locator(".col-status")
        expect(status).to_be_in_viewport()  # Status is on screen, not off to the right
        kl1.locator("summary").click()  # the details unfold under the name
        expect(kl1.locator("details dl")).to_contain_text("TW I: 402/402")
        expect(kl1.locator("details dl")).to_contain_text("Bukti dukung")  # links: test_review_desk.py
        _no_sideways_scroll(page)
        # Only the flagged rows, at once (review.js), then all of them again.
        flagged = page.locator('#rekap-table tr[data-flagged="1"]').count()
        page.click("#flagged-filter")
        expect(page.locator("#rekap-table tbody tr:visible")).to_have_count(flagged)
        page.click("#flagged-filter")
        expect(kl1).to_be_visible()
        assert _axe(page) == []
        page.fill('[id="rownote-KL-1"]', ROW_NOTE)  # the note ticks its row
        expect(page.locator('[id="row-KL-1"]')).to_be_checked()
        expect(page.locator("#note")).to_have_value("")
        page.screenshot(path=str(tmp_path / "review-desk-1366.png"))
        page.click("#action-return")
        expect(page).to_have_url(f"{server.base}/instances/{instance_id}")
        expect(page.locator(".alert-success")).to_contain_text("tercatat")
        context.close()
    status_now = server.service.status(instance_id)
    assert status_now.state == "pengukuran_asn"
    assert [w.assignee for w in status_now.waiting_on] == ["kasi.pelayanan"]  # KL-1's owner, nobody else
    kl1_row = next(r for r in server.perf.rekap("kutorejo", PERIOD)["rows"] if r["code"] == "KL-1")
    assert (kl1_row["status"], kl1_row["return_note"]) == ("dikembalikan", ROW_NOTE)
    print(f"\nscreenshot: {tmp_path / 'review-desk-1366.png'}")


def test_a_refused_return_keeps_the_ticks_and_the_notes(review_task: tuple[Server, int, int], tmp_path: Path) -> None:
    server, instance_id, task_id = review_task
    with _chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT, locale="id-ID")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        _open_review(page, server.base, task_id)
        page.check('[id="row-KL-2"]')  # ticked, with no row note: refused
        page.fill('[id="rownote-KL-1"]', ROW_NOTE)
        page.fill("#note", "Mohon seluruh seksi mencocokkan data dengan register.")
        page.click("#action-return")
        expect(page).to_have_url(re.compile(rf"/tasks/{task_id}/act$"))  # the desk again, as submitted
        expect(page.locator("#review-error")).to_contain_text("baris KL-2: wajib disertai catatan")
        expect(page.locator('[id="row-KL-2"]')).to_be_checked()
        expect(page.locator('[id="row-KL-1"]')).to_be_checked()
        expect(page.locator('[id="rownote-KL-1"]')).to_have_value(ROW_NOTE)
        expect(page.locator("#note")).to_have_value("Mohon seluruh seksi mencocokkan data dengan register.")
        _no_sideways_scroll(page)
        assert _axe(page) == []
        page.screenshot(path=str(tmp_path / "review-desk-refused-1366.png"))
        context.close()
    assert server.service.status(instance_id).state == "reviu_sekcam"
    print(f"\nscreenshot: {tmp_path / 'review-desk-refused-1366.png'}")
