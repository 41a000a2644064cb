"""`sakip rekap` of a triwulan with no cycle, as a separate process: the rows with empty values and
capaian, one line on stderr, exit 0, and `"measured": false` in the JSON."""

from __future__ import annotations

import json

from test_cli import sakip, sakip_json
from test_cli_performance import WORKBOOK, _setup, _to_entry_step

NO_CYCLE = "no cycle for kutorejo 2024-TW3: values and capaian are empty"


def test_rekap_of_a_quarter_with_no_cycle_lists_empty_values_and_says_so(db_url: str) -> None:
    _setup(db_url)
    sakip("data", "import", str(WORKBOOK), "--unit", "kutorejo", "--year", "2024", "--as", "admin", db=db_url)
    _to_entry_step(db_url)  # the cycle of 2024-TW1
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
        db=db_url,
    )  # fmt: skip  (1.736/1.736, 002:666)

    # TW I has its cycle: measured, KL-1 at 100,00%, nothing on stderr.
    tw1 = sakip("rekap", "--unit", "kutorejo", "--period", "2024-TW1", "--json", db=db_url)
    assert tw1.stderr == ""
    data = json.loads(tw1.stdout)
    assert data["measured"] is True
    assert next(r for r in data["rows"] if r["code"] == "KL-1")["capaian"] == "100.00"

    # TW III has none: without it, aggregation up to TW III would turn TW I's 1736/1736 into TW III's 100,00%.
    text = sakip("rekap", "--unit", "kutorejo", "--period", "2024-TW3", db=db_url)  # exit 0
    assert text.stderr.strip() == NO_CYCLE
    kl1 = next(line for line in text.stdout.splitlines() if line.strip().startswith("KL-1 "))
    assert "[1736/1736 - - -]" in kl1  # TW I's own value is a fact of TW I
    assert "R=" in kl1 and "C=      -" in kl1 and "100.00" not in kl1
    assert "R=           -" in kl1
    assert all("rata-rata" not in line or line.rstrip().endswith(": -") for line in text.stdout.splitlines())

    data = sakip_json("rekap", "--unit", "kutorejo", "--period", "2024-TW3", db=db_url)
    assert data["measured"] is False
    assert data["average_capaian"] is None and data["penyerapan_anggaran"] is None
    for row in data["rows"]:
        assert [row[k] for k in ("value", "value_percent", "capaian", "predikat", "category", "efisiensi")] == [
            None
        ] * 6
    assert next(r for r in data["rows"] if r["code"] == "KL-1")["tw1"] == "1736/1736"
