"""The performance-data commands end to end, as separate processes: import, realisasi, rekap, demo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import ORG_FILE, ROOT
from helpers import S4
from openpyxl import load_workbook
from test_cli import sakip, sakip_json

WORKBOOK = ROOT / "examples" / "kutorejo-2024.xlsx"


def _setup(db: str) -> None:
    sakip("init", db=db)
    sakip("org", "load", str(ORG_FILE), db=db)


def _to_entry_step(db: str) -> int:
    started = sakip_json("start", S4, "--unit", "kutorejo", "--period", "2024-TW1", "--as", "camat", db=db)
    for user in ("camat", "sekcam", "tim.sakip1", "tim.sakip1"):
        task = sakip_json("tasks", "--as", user, db=db)[0]
        sakip("act", str(task["id"]), "done", "--as", user, db=db)
    assert sakip_json("status", str(started["instance_id"]), db=db)["state"] == "pengukuran_asn"
    return int(started["instance_id"])


def test_import_then_realisasi_with_its_exit_codes_then_rekap(db_url: str, tmp_path: Path) -> None:
    _setup(db_url)
    # A workbook with one bad row: nothing is imported, each bad row is named, exit 5.
    bad = tmp_path / "bad.xlsx"
    shutil.copy(WORKBOOK, bad)
    book = load_workbook(bad)
    book["PK"]["C5"] = "1.234"  # KL-2's target, ambiguous
    book.save(bad)
    refused = sakip("data", "import", str(bad), "--unit", "kutorejo", "--year", "2024", "--as", "admin",
                    db=db_url, expect=5)  # fmt: skip
    assert "PK baris 5: target" in refused.stderr and "dua cara" in refused.stderr
    assert sakip_json("indicators", "--unit", "kutorejo", "--year", "2024", db=db_url) == []

    report = sakip_json("data", "import", str(WORKBOOK), "--unit", "kutorejo", "--year", "2024", "--as", "admin",
                        db=db_url)  # fmt: skip
    assert report["indicators_created"] == 15
    assert report["target_sets"] == ["PK 2024 v1", "PK Perubahan 2024 v1", "Rencana Aksi 2024 v1"]
    instance_id = _to_entry_step(db_url)

    def submit(*args: str, expect: int = 0) -> str:
        return sakip("realisasi", "submit", "--period", "2024-TW1", *args, db=db_url, expect=expect).stderr

    assert "dua cara" in submit("--as", "kasi.pelayanan", "--indicator", "7.01.02.2.04.02", "--value", "1.234",
                                expect=5)  # fmt: skip
    submit("--as", "kasi.trantib", "--indicator", "KL-1", "--numerator", "402", "--denominator", "402", expect=3)
    submit("--as", "kasi.pelayanan", "--indicator", "NOPE", "--value", "1", expect=2)
    sakip("realisasi", "submit", "--period", "2024-TW2", "--as", "kasi.pelayanan", "--indicator", "KL-1",
          "--value", "1/1", db=db_url, expect=4)  # fmt: skip
    # The seed writes 1.736/1.736 (002:666); without another clue "1.736" reads two ways and is refused.
    assert "dua cara" in submit("--as", "kasi.pelayanan", "--indicator", "KL-1", "--numerator", "1.736",
                                "--denominator", "1.736", expect=5)  # fmt: skip
    entered = json.loads(
        sakip(
            "realisasi",
            "submit",
            "--period",
            "2024-TW1",
            "--as",
            "kasi.pelayanan",
            "--indicator",
            "KL-1",
            "--numerator",
            "1736",
            "--denominator",
            "1736",
            "--json",
            db=db_url,
        ).stdout  # fmt: skip
    )
    assert entered["capaian"] == "100.00" and entered["status"] == "draf"  # 1.736/1.736 (002:666, F10)

    # The Kasi's fan-out task cannot be finished while two of their indicators are missing.
    task = next(t for t in sakip_json("tasks", "--as", "kasi.pelayanan", db=db_url) if t["step_id"] == "pengukuran_asn")
    missing = sakip("act", str(task["id"]), "done", "--as", "kasi.pelayanan", db=db_url, expect=5).stderr
    assert "7.01.02.2.04" in missing and "7.01.02.2.04.02" in missing and "KL-1 " not in missing

    tracker = sakip_json("tracker", str(instance_id), db=db_url)
    pelayanan = next(o for o in tracker["owners"] if o["owner"] == "kasi.pelayanan")
    assert {i["code"]: i["status"] for i in pelayanan["indicators"]} == {
        "KL-1": "draf", "7.01.02.2.04": "belum", "7.01.02.2.04.02": "belum",
    }  # fmt: skip

    xlsx = tmp_path / "rekap.xlsx"
    rekap = sakip_json("rekap", "--unit", "kutorejo", "--period", "2024-TW1", "--xlsx", str(xlsx), db=db_url)
    row = next(r for r in rekap["rows"] if r["code"] == "KL-1")
    assert row["tw1"] == "1736/1736" and row["capaian"] == "100.00" and row["target_set"] == "PK 2024 v1"
    sheet = load_workbook(xlsx)["Kertas Kerja"]
    codes = [sheet.cell(r, 3).value for r in range(5, 5 + len(rekap["rows"]))]
    assert codes == [r["code"] for r in rekap["rows"]]


def test_demo_shows_a_pengukuran_cycle_whose_rekap_has_real_numbers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    _setup(db)
    out = sakip("demo", "--unit", "kutorejo", "--period", "2024-TW4", db=db).stdout
    assert "target PK 2024 v1 -> PK Perubahan 2024 v1" in out
    assert "return baris KL-1" in out
    assert "sakip check: bersih" in out
    rekap = sakip_json("rekap", "--unit", "kutorejo", "--period", "2024-TW4", db=db)
    capaian = {r["code"]: r["capaian"] for r in rekap["rows"]}
    # Kutorejo 2024 against the PK Perubahan (002:540-549): IKM 103,65%; SAKIP 100,91%; % RA 95,39%; IP ASN 100,90%.
    assert capaian["IKU-1"] == "103.65" and capaian["KL-3.1"] == "100.91"
    assert capaian["KL-3.2"] == "95.39" and capaian["KL-3.3"] == "100.90"
    assert all(r["status"] == "diterima" for r in rekap["rows"])


def test_realisasi_above_the_ceiling_needs_a_note_on_the_command_line(db_url: str) -> None:
    """Plausibility (issue #15): the CLI refuses as the page and the API do, naming the capaian."""
    _setup(db_url)
    sakip("data", "import", str(WORKBOOK), "--unit", "kutorejo", "--year", "2024", "--as", "admin", db=db_url)
    _to_entry_step(db_url)
    args = ("realisasi", "submit", "--period", "2024-TW1", "--as", "kasi.pelayanan", "--indicator", "7.01.02.2.04.02")
    # The Rencana Aksi's TW I target is 4 (examples/kutorejo-2024.xlsx); 9 gives 225 %, above 120 %.
    refused = sakip(*args, "--value", "9", db=db_url, expect=5)
    assert "225,00%" in refused.stderr and "120%" in refused.stderr and "penjelasan" in refused.stderr
    assert sakip_json("tracker", "1", db=db_url)["counts"]["draf"] == 0  # nothing written
    kept = json.loads(sakip(*args, "--value", "9", "--note", "Laporan susulan.", "--json", db=db_url).stdout)
    assert (kept["capaian"], kept["status"], kept["note"]) == ("225.00", "draf", "Laporan susulan.")
