"""The web UI end to end in a real browser (Debian's Chromium, driven by Playwright).

A real `sakip serve` process answers on loopback over a SQLite file holding Kutorejo's
organisation and its 2024 indicators. One Pengukuran Data Kinerja cycle (S4, version 2) runs
through the pages as its users would: each role logs in on /login, opens its task from the
beranda and presses the page's buttons. Kasi Pelayanan enters its realisasi on the entry page;
the other ASN of the fan-out enter theirs through the service layer, as `sakip demo` does, to
keep the test fast. The sekcam returns one row with a note, its owner corrects it, the Camat
signs, the Tim SAKIP archives. Screenshots of the main pages are kept under tmp_path.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ORG_FILE, ROOT, SOP_DIR, free_port, missing_service
from helpers import S4
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from workflow.adapters.db import Database
from workflow.errors import InvalidInput
from workflow.services.demo import DEMO_VALUES, SHORTFALL_NOTE
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission
from workflow.services.tokens import create_token, set_all_passwords
from workflow.sop.spec import SopRegistry

SAKIP = str(Path(sys.executable).with_name("sakip"))
CHROMIUM = Path("/usr/bin/chromium")
WORKBOOK = ROOT / "examples" / "kutorejo-2024.xlsx"
PERIOD = "2024-TW1"
PASSWORD = "rahasia-demo"
ENTERED_IN_BROWSER = "kasi.pelayanan"
GENERAL_NOTE = "Mohon Kasi Pelayanan mencocokkan KL-1 dengan register PATEN sebelum laporan dinaikkan."
ROW_NOTE = "Jumlah pelayanan sesuai standar belum cocok dengan register PATEN; mohon dicek ulang."
TIMEOUT_MS = 15_000


@dataclass
class Server:
    base: str
    db_url: str
    service: WorkflowService
    perf: PerformanceService


def _sakip(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([SAKIP, *args], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db_url = f"sqlite:///{tmp_path / 'sakip.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAKIP_")} | {
        "SAKIP_DATABASE_URL": db_url,
        "SAKIP_SECRET_KEY": "browser-e2e-secret",
        "SAKIP_UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    _sakip(env, "init")
    assert "13 people" in _sakip(env, "org", "load", str(ORG_FILE))
    _sakip(env, "data", "import", str(WORKBOOK), "--unit", "kutorejo", "--year", "2024", "--as", "admin")

    db = Database.from_url(db_url)
    registry = SopRegistry.from_directory(SOP_DIR)
    service = WorkflowService(db, registry)
    perf = PerformanceService(db, registry, clock=service.clock)
    assert {"camat", "sekcam", "kasi.pelayanan", "tim.sakip1"} <= set(set_all_passwords(service, PASSWORD))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [SAKIP, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"sakip serve exited early:\n{log_path.read_text()}"
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if json.loads(response.read())["status"] == "ok":
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert time.monotonic() < deadline, f"no /healthz within 30 s:\n{log_path.read_text()}"
            time.sleep(0.1)
        yield Server(base, db_url, service, perf)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        db.dispose()


def _start_through_the_api(server: Server) -> int:
    token = create_token(server.service, "camat")
    body = json.dumps({"sop_key": S4, "unit": "kutorejo", "period": PERIOD}).encode()
    request = urllib.request.Request(
        f"{server.base}/api/v1/instances",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        started = json.loads(response.read())
    assert started["state"] == "nota_dinas"
    return int(started["instance_id"])


def _enter_other_asn(server: Server, instance_id: int, keep: str | None = ENTERED_IN_BROWSER) -> list[str]:
    """Every ASN but KEEP (the one who uses the browser) enters what it owes and finishes, as the demo does."""
    service, perf = server.service, server.perf
    finished = []
    for waiting in service.status(instance_id).waiting_on:
        assert waiting.step_id == "pengukuran_asn"
        user = service.candidates(waiting.task_id)[0]
        if user == keep:
            continue
        for code in perf.owed(waiting.task_id):
            raw = DEMO_VALUES[code][0]
            if raw is None:
                sub = Submission(user, code, PERIOD, pending=True, note="Belum dirilis oleh sumber data")
            elif "/" in raw:
                top, bottom = raw.split("/")
                sub = Submission(user, code, PERIOD, numerator=top, denominator=bottom)
            else:
                sub = Submission(user, code, PERIOD, value=raw)
            try:
                perf.submit(sub)
            except InvalidInput as exc:
                assert "catatan" in str(exc)
                perf.submit(dataclasses.replace(sub, note=SHORTFALL_NOTE))
        assert perf.owed(waiting.task_id) == []
        service.act(waiting.task_id, "done", user)
        finished.append(user)
    return finished


# --- the pages, as a user works them (a page object) --------------------------------------------


@dataclass
class Pages:
    """One browser tab on the site, with the moves every user makes on it."""

    base: str
    shots: Path
    instance_id: int
    page: Page

    def on(self, page: Page) -> Pages:
        """The same moves in another tab (another browser context, e.g. a phone)."""
        return dataclasses.replace(self, page=page)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def by_id(self, element_id: str) -> Locator:
        return self.page.locator(f'[id="{element_id}"]')  # indicator codes hold dots: no #id selector

    def login(self, username: str, screenshot: str | None = None) -> None:
        page = self.page
        page.goto(f"{self.base}/login")
        expect(page.locator("h1")).to_have_text("Masuk ke Alur SAKIP")
        if screenshot:
            self.shot(screenshot)
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        expect(page).to_have_url(f"{self.base}/")
        expect(page.locator("#whoami")).to_contain_text(f"({username})")

    def logout(self) -> None:
        page = self.page
        page.click("#logout")
        expect(page).to_have_url(re.compile(r"/login$"))
        page.goto(f"{self.base}/")
        expect(page).to_have_url(re.compile(r"/login\?next="))  # logged out for real

    def open_task(self, step: str) -> None:
        """Open STEP's task from the beranda: its inbox, else the queue of the user's roles."""
        page = self.page
        page.goto(f"{self.base}/")
        row = page.locator(f'#task-table tr[data-step="{step}"]')
        if row.count() == 0:
            page.click("#tab-queue")
            expect(page).to_have_url(re.compile(r"box=queue"))
        expect(row).to_have_count(1)
        row.get_by_role("link", name="Buka").click()
        expect(page).to_have_url(re.compile(r"/tasks/\d+$"))

    def press(self, button: str, state: str) -> None:
        """Press an action button; the instance page then shows the state the cycle moved to."""
        page = self.page
        page.click(button)
        expect(page).to_have_url(f"{self.base}/instances/{self.instance_id}")
        expect(page.locator(".alert-success")).to_contain_text(re.compile("tercatat|terkirim"))
        expect(page.locator("#instance-state")).to_have_text(state)

    def do_steps(self, username: str, steps: list[tuple[str, str]]) -> None:
        self.login(username)
        for step, next_state in steps:
            self.open_task(step)
            self.press("#action-done", next_state)
        self.logout()

    def save(self, code: str, **fields: str) -> None:
        """Type FIELDS into CODE's row of the grid and press "Simpan draf"."""
        card = self.by_id(f"row-{code}")
        for name, value in fields.items():
            card.locator(f'[name="{name}-{code}"]').fill(value)
        self.page.click("#action-save")
        expect(self.page).to_have_url(re.compile(r"/tasks/\d+(/entry)?$"))


@contextmanager
def _chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


# --- the steps of the story -----------------------------------------------------------------------

TIM_SAKIP_STEPS = [("evaluasi", "rekap"), ("rekap", "lapor_rekap"), ("lapor_rekap", "reviu_sekcam")]
SCREENSHOTS = [
    "01-login", "02-beranda-camat", "03-entry-empty", "04-entry-error", "05-entry-filled",
    "06-review-return", "07-entry-returned-phone", "08-sign", "09-instance", "10-tracker",
]  # fmt: skip


def a_wrong_password_is_refused_in_indonesian(ui: Pages) -> None:
    page = ui.page
    page.goto(f"{ui.base}/login")
    page.fill("#username", "camat")
    page.fill("#password", "salah")
    page.click("#login-submit")
    expect(page.locator(".alert-danger")).to_have_text("Nama pengguna atau kata sandi salah.")


def the_camat_opens_the_nota_dinas_from_the_beranda(ui: Pages) -> None:
    """Step 1."""
    ui.login("camat", screenshot="01-login")
    row = ui.page.locator('#task-table tr[data-step="nota_dinas"]')
    expect(row).to_contain_text("Nota Dinas pengukuran")
    expect(row).to_contain_text(f"kutorejo · {PERIOD}")
    ui.shot("02-beranda-camat")
    ui.open_task("nota_dinas")
    expect(ui.page.locator("h1")).to_have_text("1. Nota Dinas pengukuran")
    ui.press("#action-done", "rapat_arahan")
    ui.logout()


def the_other_asn_enter_theirs_through_the_service(server: Server, instance_id: int) -> None:
    """Step 5, for every ASN but Kasi Pelayanan."""
    others = _enter_other_asn(server, instance_id)
    assert len(others) >= 5 and ENTERED_IN_BROWSER not in others
    assert [w.assignee or w.role for w in server.service.status(instance_id).waiting_on] == [ENTERED_IN_BROWSER]


def kasi_pelayanan_enters_in_the_browser(ui: Pages) -> str:
    """Step 5 in the browser: a refused finish, a refused number kept in the form, then every row.
    Returns the URL of the entry task."""
    page = ui.page
    ui.login(ENTERED_IN_BROWSER)
    ui.open_task("pengukuran_asn")
    expect(page.locator("h1")).to_contain_text("Pengukuran capaian oleh seluruh ASN")
    cards = page.locator("[id^='row-']")
    expect(cards).to_have_count(3)
    for code in ("KL-1", "7.01.02.2.04", "7.01.02.2.04.02"):
        expect(ui.by_id(f"row-{code}")).to_have_attribute("data-status", "belum")
    expect(ui.by_id("row-KL-1").locator('input[name="numerator-KL-1"]')).to_be_visible()
    expect(ui.by_id("row-KL-1").locator('input[name="value-KL-1"]')).to_have_count(0)
    ui.shot("03-entry-empty")

    # Finishing before everything is entered is refused, naming what is missing.
    entry_url = page.url
    page.click("#action-done")
    expect(page.locator(".alert-danger")).to_contain_text("belum lengkap")
    expect(page).to_have_url(re.compile(r"/tasks/\d+/entry$"))

    # An ambiguous number is refused inline, in Indonesian, on its own card.
    ui.save("7.01.02.2.04", value="1.234", note="Termasuk layanan keliling.")
    card = ui.by_id("row-7.01.02.2.04")
    expect(card.locator(".entry-error")).to_contain_text("dua cara")
    expect(page.locator(".entry-error")).to_have_count(1)
    expect(card).to_have_attribute("data-status", "belum")
    # What was typed stays in the form to be corrected, not wiped.
    expect(card.locator('input[name="value-7.01.02.2.04"]')).to_have_value("1.234")
    expect(card.locator('[name="note-7.01.02.2.04"]')).to_have_value("Termasuk layanan keliling.")
    ui.shot("04-entry-error")

    # The corrected number and another row are saved together by one "Simpan draf".
    card.locator('input[name="value-7.01.02.2.04"]').fill("170")
    ui.save("KL-1", numerator="402", denominator="402")
    expect(page.locator(".alert-success")).to_contain_text("Draf tersimpan (2 baris)")
    expect(page.locator(".entry-error")).to_have_count(0)  # the error was shown once
    ui.save("7.01.02.2.04.02", value="4")
    expect(page.locator(".alert-success")).to_contain_text("Draf tersimpan (1 baris)")
    for code in ("KL-1", "7.01.02.2.04", "7.01.02.2.04.02"):
        expect(ui.by_id(f"row-{code}")).to_have_attribute("data-status", "draf")  # saved, not yet sent
    expect(ui.by_id("row-KL-1").locator(".capaian")).to_have_text("100,00%")
    expect(ui.by_id("row-KL-1").locator('input[name="numerator-KL-1"]')).to_have_value("402")
    expect(ui.by_id("row-7.01.02.2.04").locator('input[name="value-7.01.02.2.04"]')).to_have_value("170")
    ui.shot("05-entry-filled")
    ui.press("#action-done", "evaluasi")  # the last ASN closes the fan-out
    ui.logout()
    return entry_url


def the_sekcam_returns_the_kl1_row_with_a_note(ui: Pages) -> None:
    """Step 9, first round: the return, then the tracker the sekcam follows the correction on."""
    page = ui.page
    ui.login("sekcam")
    ui.open_task("reviu_sekcam")
    table = page.locator("#rekap-table")
    expect(table.locator('tr[data-code="KL-1"]')).to_contain_text("402")
    expect(table.locator('tr[data-code="7.01.02.2.04"]')).to_contain_text("170")
    expect(page.locator("#changes")).to_have_count(0)  # the first version has nothing to compare
    page.check("#row-KL-1")
    page.fill("#rownote-KL-1", ROW_NOTE)
    page.fill("#note", GENERAL_NOTE)
    ui.shot("06-review-return")
    ui.press("#action-return", "pengukuran_asn")
    expect(page.locator("#timeline li[data-action='return']")).to_contain_text(ROW_NOTE)
    page.goto(f"{ui.base}/instances/{ui.instance_id}/tracker")  # the sekcam follows the correction
    expect(page.locator("#tracker-table")).to_contain_text("KL-1: dikembalikan")
    expect(page.locator("#tracker-table .bg-danger")).to_have_count(1)
    expect(page.locator("#progress")).to_have_text("93,33%")  # 14 of 15 rows stand, an Indonesian decimal
    ui.logout()


def kasi_pelayanan_corrects_the_row_on_a_phone(browser: Browser, ui: Pages, entry_url: str) -> None:
    """Kasi Pelayanan, on a phone, sees the returned row with its note and corrects it."""
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone.set_default_timeout(TIMEOUT_MS)
    mobile = ui.on(phone.new_page())
    mobile.login(ENTERED_IN_BROWSER)
    returned = mobile.page.locator('#task-table tr[data-step="pengukuran_asn"]')
    expect(returned).to_contain_text("Dikembalikan")
    expect(returned).to_contain_text(ROW_NOTE)
    mobile.open_task("pengukuran_asn")
    assert mobile.page.url != entry_url  # a new task of the second round
    expect(mobile.page.locator("#return-note")).to_contain_text(ROW_NOTE)
    kl1 = mobile.by_id("row-KL-1")
    expect(kl1).to_have_attribute("data-status", "dikembalikan")
    expect(kl1).to_have_class(re.compile(r"\bborder-danger\b"))
    expect(kl1.locator(".alert-danger")).to_contain_text(f"Catatan reviu: {ROW_NOTE}")
    expect(mobile.by_id("row-7.01.02.2.04")).to_have_attribute("data-status", "diterima")
    kl1.scroll_into_view_if_needed()
    mobile.shot("07-entry-returned-phone")
    overflow = mobile.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the entry page scrolls sideways on a phone by {overflow}px"
    mobile.save("KL-1", numerator="402", denominator="402", note="Dicocokkan dengan register PATEN.")
    expect(mobile.by_id("row-KL-1")).to_have_attribute("data-status", "draf")
    mobile.press("#action-done", "evaluasi")
    phone.close()


def the_sekcam_approves_the_second_version(ui: Pages) -> None:
    """Step 9 again: the sekcam sees the second version, with the changed note, and approves."""
    ui.login("sekcam")
    ui.open_task("reviu_sekcam")
    expect(ui.page.locator("text=Versi draf")).to_contain_text("v2")
    expect(ui.page.locator("#changes")).to_contain_text("KL-1 catatan")
    ui.press("#action-approve", "lapor_camat")
    ui.logout()


def the_camat_signs_what_the_page_shows(ui: Pages) -> None:
    """Step 10: the Camat signs the report; the page shows the SHA-256 of what is signed."""
    page = ui.page
    ui.login("camat")
    ui.open_task("lapor_camat")
    expect(page.locator("h1")).to_have_text("10. Laporan hasil pengukuran kepada Camat")
    doc_hash = page.locator("#doc-hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", doc_hash), doc_hash
    expect(page.locator('#rekap-table tr[data-code="KL-1"]')).to_contain_text("diterima")
    expect(page.locator("#rekap-table input[type=checkbox]")).to_have_count(0)
    # Numbers in Indonesian style: a decimal comma and thousands points, in every column.
    expect(page.locator('#rekap-table tr[data-code="IKU-1"] td').nth(3)).to_have_text("92,85")
    expect(page.locator('#rekap-table tr[data-code="KL-3.2"] td').nth(3)).to_have_text("391.000.000/2.973.061.600")
    ui.shot("08-sign")
    ui.press("#action-sign", "arsip")
    expect(page.locator("#signatures")).to_contain_text(doc_hash[:16])
    ui.logout()


def the_tim_sakip_archives_and_the_instance_page_tells_the_story(ui: Pages) -> None:
    """Step 11."""
    page = ui.page
    ui.login("tim.sakip1")
    ui.open_task("arsip")
    ui.press("#action-archive", "selesai")
    timeline = page.locator("#timeline li")
    actions = timeline.evaluate_all("items => items.map(li => li.dataset.action)")
    assert actions[0] == "start" and actions[-1] == "archive", actions
    assert actions.count("return") == 1 and actions.count("sign") == 1, actions
    mine = page.locator("#timeline li[data-action='realisasi']", has_text=f"{ENTERED_IN_BROWSER} [asn]")
    expect(mine).to_have_count(4)  # Kasi Pelayanan's three entries and the correction; not the refused one
    expect(mine.last).to_contain_text("KL-1 2024-TW1: 402/402 (sebelumnya 402/402)")
    back = page.locator("#timeline li[data-action='return']")
    expect(back).to_contain_text("sekcam")
    expect(back).to_contain_text(GENERAL_NOTE)
    expect(back).to_contain_text(f"KL-1: {ROW_NOTE}")
    expect(back).to_contain_text("reviu_sekcam → pengukuran_asn")
    signatures = page.locator("#signatures li")
    expect(signatures).to_have_count(1)
    expect(signatures).to_contain_text("tanda_tangan · camat [camat]")
    expect(signatures.locator(".sig-ok")).to_have_text("sesuai")
    expect(page.locator("#bagan svg")).to_be_visible()
    ui.shot("09-instance")


def the_tracker_shows_every_row_accepted(ui: Pages) -> None:
    page = ui.page
    page.goto(f"{ui.base}/instances/{ui.instance_id}/tracker")
    expect(page.locator("#progress")).to_have_text("100%")
    expect(page.locator("#tracker-table")).to_contain_text("KL-1: diterima")
    expect(page.locator("#tracker-table .bg-danger")).to_have_count(0)
    ui.shot("10-tracker")


def test_a_pengukuran_cycle_runs_through_the_pages_with_one_returned_row(server: Server, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        missing_service(f"{CHROMIUM} is not installed (Debian package chromium)")
    expect.set_options(timeout=TIMEOUT_MS)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    instance_id = _start_through_the_api(server)
    started = time.monotonic()

    with _chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        context.set_default_timeout(TIMEOUT_MS)
        ui = Pages(server.base, shots, instance_id, context.new_page())

        a_wrong_password_is_refused_in_indonesian(ui)
        the_camat_opens_the_nota_dinas_from_the_beranda(ui)  # 1
        ui.do_steps("sekcam", [("rapat_arahan", "rencana_kegiatan")])  # 2
        ui.do_steps("tim.sakip1", [("rencana_kegiatan", "metodologi"), ("metodologi", "pengukuran_asn")])  # 3-4
        the_other_asn_enter_theirs_through_the_service(server, instance_id)  # 5
        entry_url = kasi_pelayanan_enters_in_the_browser(ui)  # 5
        ui.do_steps("tim.sakip1", TIM_SAKIP_STEPS)  # 6-8
        the_sekcam_returns_the_kl1_row_with_a_note(ui)  # 9
        kasi_pelayanan_corrects_the_row_on_a_phone(browser, ui, entry_url)  # 5 again
        ui.do_steps("tim.sakip1", TIM_SAKIP_STEPS)  # 6-8 again
        the_sekcam_approves_the_second_version(ui)  # 9 again
        the_camat_signs_what_the_page_shows(ui)  # 10
        the_tim_sakip_archives_and_the_instance_page_tells_the_story(ui)  # 11
        the_tracker_shows_every_row_accepted(ui)
        context.close()

    elapsed = time.monotonic() - started
    assert server.service.status(instance_id).state == "selesai"
    for name in SCREENSHOTS:
        path = shots / f"{name}.png"
        assert path.is_file() and path.stat().st_size > 1000, path
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    print(f"\nbrowser cycle took {elapsed:.1f} s; screenshots in {shots}")
