"""The capaian dashboard in a real browser (Debian's Chromium, driven by Playwright), after the demo
cycle has measured one triwulan (2024-TW1) of Kutorejo: a bar per measured indicator and none for the three
quarters with no cycle, colours from the predikat bands with a legend, Indonesian decimals, and axe
finds nothing wrong in the page's own content. A screenshot is kept under tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import test_browser
from axe import violations
from conftest import missing_service
from playwright.sync_api import expect
from test_browser import CHROMIUM, PASSWORD, TIMEOUT_MS, Server, _chromium

from workflow.domain.scales import load_scale
from workflow.services.demo import open_next_cycle, run_demo
from workflow.services.performance import PerformanceService

server = test_browser.server  # a `sakip serve` over Kutorejo's organisation and 2024 indicators


@pytest.fixture
def measured_tw1(server: Server) -> tuple[str, PerformanceService]:
    """What `sakip demo` leaves: the 2024-TW1 cycle run to its end, 2024-TW2 opened at its Nota Dinas."""
    run_demo(server.service, "kutorejo", "2024-TW1", lambda _line: None)
    open_next_cycle(server.service, "kutorejo", lambda _line: None)
    return server.base, server.perf


def test_the_dashboard_draws_only_the_measured_quarter_in_predikat_colours(
    measured_tw1: tuple[str, PerformanceService], tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        missing_service(f"{CHROMIUM} is not installed (Debian package chromium)")
    base, perf = measured_tw1
    # The demo closes TW I's cycle and opens TW II's (no value entered yet); TW III and TW IV have none.
    assert perf.measured_quarters("kutorejo", 2024) == [1, 2]
    rekap = perf.rekap("kutorejo", "2024-TW1")
    with_capaian = {r["code"]: r for r in rekap["rows"] if r["capaian"] is not None}
    assert with_capaian  # the demo's TW I values (DEMO_VALUES) give capaian
    with _chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # to inject axe
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/login")
        page.fill("#username", "camat")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        expect(page).to_have_url(f"{base}/")
        page.goto(f"{base}/dashboard/kutorejo/2024")
        expect(page.locator("h1")).to_contain_text("Dasbor capaian")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

        # One bar per indicator with a TW I capaian, none anywhere else: TW II-IV have no cycle.
        svgs = page.locator("svg[role=img]")
        assert svgs.count() == len(rekap["rows"])
        assert page.locator("rect.bar").count() == len(with_capaian)
        for i in range(svgs.count()):
            svg = svgs.nth(i)
            label = svg.get_attribute("aria-label") or ""
            code = label.split(":")[0]
            assert svg.locator("rect.bar").count() == (1 if code in with_capaian else 0), label
            assert label.endswith("TW II belum ada nilai; TW III belum diukur; TW IV belum diukur"), label
            if code in with_capaian:
                row = with_capaian[code]
                words = f"TW I capaian {row['capaian'].replace('.', ',')}% {row['predikat']}"
                assert words in label
                assert svg.locator("text.bar-label").text_content() == f"{row['capaian'].replace('.', ',')}%"
        expect(page.locator("#unmeasured")).to_have_text(re.compile(r"^TW III, TW IV: belum diukur"))

        # The legend lists every band of the capaian scale, each in its own colour.
        bands = load_scale("capaian").bands
        items = page.locator("#legend li")
        assert items.count() == len(bands)
        assert [items.nth(i).inner_text().split(" (")[0].strip() for i in range(len(bands))] == [b.label for b in bands]
        expect(items.nth(len(bands) - 1)).to_contain_text("> 90%")
        expect(items.nth(len(bands) - 2)).to_contain_text("> 80% s.d. 90%")
        swatch = [
            items.nth(i).locator("span").evaluate("e => getComputedStyle(e).backgroundColor") for i in range(len(bands))
        ]
        assert len(set(swatch)) == len(bands)
        # A bar has the colour of its predikat's band in the legend.
        colour_of = {b.label: swatch[i] for i, b in enumerate(bands)}
        for i in range(svgs.count()):
            bar = svgs.nth(i).locator("rect.bar")
            if bar.count():
                code = (svgs.nth(i).get_attribute("aria-label") or "").split(":")[0]
                fill = bar.evaluate("e => getComputedStyle(e).fill")
                assert fill == colour_of[with_capaian[code]["predikat"]], code

        # Every number written the Indonesian way.
        text = page.locator("main").inner_text()
        assert not re.search(r"\d\.\d\d?%", text) and not re.search(
            r"\d\.\d\d?%", " ".join(svgs.nth(i).get_attribute("aria-label") or "" for i in range(svgs.count()))
        )
        assert re.search(r"\d,\d\d%", text)

        # The site-wide header's known contrast issue is not this page's: axe looks at the rest.
        own = violations(page)
        assert own == [], own
