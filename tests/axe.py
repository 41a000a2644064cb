"""axe-core in the browser tests: the copy bundled by the pinned `axe-playwright-python` package.

`violations(page)` injects axe into PAGE (its context needs `bypass_csp=True`: the site's CSP
allows only its own scripts) and returns the violations of the page's own content. The site-wide
header (`nav`) is left out by default: its known colour-contrast issue belongs to issue #16.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import axe_playwright_python
from playwright.sync_api import Page

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")


def violations(page: Page, exclude: tuple[str, ...] = ("nav",)) -> list[dict[str, Any]]:
    """axe's violations on PAGE, outside EXCLUDE (CSS selectors), as (id, impact, nodes) dicts."""
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async (exclude) => (await axe.run({exclude: exclude.map(s => [s])})).violations", list(exclude)
    )
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]
