"""Update the English catalogue from the templates and views, then compile it.

Run: .venv/bin/python web/translations/build.py  (the UI's source language is Indonesian).
The English of the engine's errors is not typed here: it is the contract text, kept beside each
error code in `web/messages.py` (`ENGLISH`), and written into the catalogue on every build.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PO = HERE / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def main() -> None:
    pot = Path(tempfile.mkdtemp()) / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", str(ROOT / "web" / "babel.cfg"), "-k", "_", "-o", str(pot), "--no-location",
         "--omit-header", str(ROOT / "web")],
        check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        template = read_po(f)
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    catalog.update(template, no_fuzzy_matching=True)
    sys.path.insert(0, str(ROOT))
    from web.messages import ENGLISH

    for msgid, english in ENGLISH.items():
        catalog[msgid].string = english
    with PO.open("wb") as f:
        write_po(f, catalog, omit_header=False, no_location=True, width=120)
    with MO.open("wb") as f:
        write_mo(f, catalog)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(catalog)} messages, {len(missing)} untranslated: {missing}")


if __name__ == "__main__":
    main()
