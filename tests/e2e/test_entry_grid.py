"""The data-entry grid (issue #15): one form for every indicator, nothing typed thrown away, the
capaian a person would work out, and the plausibility rules, the same through the API.

The browser test runs a real `sakip serve` in Chromium (fixtures of test_browser.py): the demo's
TW I cycle is run and closed, TW II waits at the ASN fan-out, and Kasi Pelayanan enters TW II
on a phone-sized screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import test_browser
import test_web_app
from axe import violations
from helpers import S4, advance_to
from playwright.sync_api import expect
from test_browser import PASSWORD, TIMEOUT_MS, Server, _chromium
from test_web_app import Site

from workflow.services.demo import run_demo
from workflow.services.tokens import create_token

server = test_browser.server  # fixtures: a `sakip serve` process, and an app in this process
site = test_web_app.site
ROW = "7.01.02.2.04.02"  # Laporan pelaksanaan nonperizinan: a sum indicator, Rencana Aksi 4 + 5 + 4 + 5 = 18


def _api(site: Site, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(site.service, username)}"}


def test_the_api_applies_the_same_plausibility_rules(site: Site) -> None:
    client = site.app.test_client()
    headers = _api(site, "kasi.pelayanan")
    body = {"indicator": ROW, "period": "2024-TW1", "value": "9"}
    # TW I's Rencana Aksi target is 4: 9 gives 225 %, above the 120 % ceiling, refused with nothing written.
    refused = client.post("/api/v1/realisasi", json=body, headers=headers)
    assert refused.status_code == 422
    assert "225,00%" in refused.get_json()["error"] and "penjelasan" in refused.get_json()["error"]
    form = client.get(f"/api/v1/tasks/{site.entry_task_id}/entry", headers=headers).get_json()
    row = next(r for r in form["rows"] if r["code"] == ROW)
    assert (row["status"], row["asks"], row["target"], row["target_quarter"]) == ("belum", "quarter", "4", "4")
    saved = client.post("/api/v1/realisasi", json=body | {"note": "Laporan susulan."}, headers=headers)
    assert saved.status_code == 201 and saved.get_json()["status"] == "draf"
    form = client.get(f"/api/v1/tasks/{site.entry_task_id}/entry", headers=headers).get_json()
    row = next(r for r in form["rows"] if r["code"] == ROW)
    assert (row["capaian"], row["needs"]) == ("225.00", "explanation")
    assert [f["code"] for f in row["flags"]] == ["above_ceiling"] and row["flags"][0]["limit"] == "120"
    # Someone else's task is not theirs to read.
    other = client.get(f"/api/v1/tasks/{site.entry_task_id}/entry", headers=_api(site, "kasi.trantib"))
    assert other.status_code == 403
    assert client.post("/api/v1/realisasi", json={"period": "2024-TW1"}, headers=headers).status_code == 422


def _tw2_at_entry(server: Server) -> int:
    run_demo(server.service, "kutorejo", "2024-TW1", lambda _line: None)
    instance_id = server.service.start(S4, "kutorejo", "2024-TW2", "camat").instance_id
    advance_to(server.service, instance_id, "pengukuran_asn")
    return instance_id


def test_a_kasi_fills_the_grid_on_a_phone_and_sends_without_saving_first(server: Server, tmp_path: Path) -> None:
    instance_id = _tw2_at_entry(server)
    shots = tmp_path / "screenshots"
    with _chromium() as browser:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,  # to inject axe
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(f"{server.base}/login")
        page.fill("#username", "kasi.pelayanan")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.locator('#task-table tr[data-step="pengukuran_asn"]').get_by_role("link", name="Buka").click()
        expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
        task_url = page.url

        # A sum indicator asks for this quarter alone, and shows the targets a person works from.
        row = page.locator(f'[id="row-{ROW}"]')
        expect(row.locator(f'label[for="value-{ROW}"]')).to_contain_text("Realisasi TW II saja")
        expect(row.locator(".entry-targets")).to_contain_text("Target tahunan:18")
        expect(row.locator(".entry-targets")).to_contain_text("Target s.d. TW II:9")
        expect(row.locator(".entry-targets")).to_contain_text("Realisasi TW I:4")
        # Typing 5 shows what a person works out: 4 + 5 = 9 against 9 s.d. TW II, 100 %.
        page.fill(f'[id="value-{ROW}"]', "5")
        expect(row.locator(".computed .value-s-d")).to_have_text("9")
        expect(row.locator(".computed .capaian")).to_have_text("100,00%")
        # The year-to-date 9 typed by mistake gives 144,44 % and asks for a penjelasan at once.
        page.fill(f'[id="value-{ROW}"]', "9")
        expect(row.locator(".computed .capaian")).to_have_text("144,44%")
        expect(row.locator(".note-help")).to_contain_text("jelaskan mengapa target terlampaui")
        # A ratio shows its quarter's own value and the value to date, each named.
        page.fill('[id="numerator-KL-1"]', "405")
        page.fill('[id="denominator-KL-1"]', "410")
        kl1 = page.locator('[id="row-KL-1"]')
        expect(kl1.locator(".computed")).to_contain_text("Nilai TW II saja: 98,78%")
        expect(kl1.locator(".computed .capaian")).to_have_text("99,38%")  # (402 + 405) / (402 + 410)
        page.fill('[id="value-7.01.02.2.04"]', "93")
        page.fill('[id="note-7.01.02.2.04"]', "Pemohon turun karena layanan daring belum pulih.")
        page.screenshot(path=str(shots / "entry-typed-phone.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the entry grid scrolls sideways on a phone by {overflow}px"
        assert violations(page) == []

        # Kirim without saving first: the plausible rows are saved, the implausible one keeps its value
        # and its message, and the task is not sent.
        page.click("#action-done")
        expect(page.locator(f'[id="error-{ROW}"]')).to_contain_text("144,44%")
        expect(page.locator(f'[id="value-{ROW}"]')).to_have_value("9")
        expect(page.locator('[id="row-KL-1"]')).to_have_attribute("data-status", "draf")
        expect(page.locator('[id="numerator-KL-1"]')).to_have_value("405")
        page.screenshot(path=str(shots / "entry-refused-phone.png"), full_page=True)
        assert server.service.status(instance_id).state == "pengukuran_asn"

        # With the penjelasan, Kirim saves the last row and sends the task.
        page.fill(f'[id="note-{ROW}"]', "Termasuk laporan susulan TW I.")
        page.click("#action-done")
        expect(page).to_have_url(f"{server.base}/instances/{instance_id}")
        expect(page.locator(".alert-success")).to_contain_text("terkirim")
        context.close()
    rekap = {r["code"]: r for r in server.perf.rekap("kutorejo", "2024-TW2")["rows"]}
    assert {rekap[c]["status"] for c in ("KL-1", "7.01.02.2.04", ROW)} == {"dikirim"}
    assert (rekap[ROW]["capaian"], rekap["KL-1"]["capaian"]) == ("144.44", "99.38")
    assert task_url.rsplit("/", 1)[1] not in [str(w.task_id) for w in server.service.status(instance_id).waiting_on]
