"""A triwulan with no cycle and no realisasi of its own is not measured: its Kertas Kerja has no values
and no capaian (no database: the rows are given by hand), and the signed content never carries the flag."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal as D

from test_kertas_kerja import _loaded

from workflow.services.rekap import DocumentContent, compute_kertas_kerja

MEASURED_LATER = ("value", "value_percent", "capaian", "predikat", "category", "efisiensi")


def test_an_unmeasured_triwulan_has_no_value_and_no_capaian() -> None:
    # TW III of the hand-made rekap: IKU-1 has TW I 92,85 and TW II 93,20, ANG 50/200 in TW II, but no cycle of TW III.
    rekap = compute_kertas_kerja(replace(_loaded(3), measured=False))
    assert rekap.measured is False and rekap.as_json()["measured"] is False
    for row in rekap.rows:
        assert all(getattr(row, name) is None for name in MEASURED_LATER), row
    rows = {r.code: r for r in rekap.rows}
    # The earlier quarters' own values stay (facts of those quarters), and so does the target.
    assert (rows["IKU-1"].tw1, rows["IKU-1"].tw2, rows["IKU-1"].tw3) == ("92.85", "93.2", None)
    assert rows["IKU-1"].target == "90.36"
    assert rekap.average_capaian is None and rekap.penyerapan_anggaran is None
    assert all(g.average_capaian is None and g.predikat is None for g in rekap.sasaran)


def test_a_measured_triwulan_still_computes() -> None:
    rekap = compute_kertas_kerja(_loaded(2))  # measured by default
    rows = {r.code: r for r in rekap.rows}
    assert rekap.measured is True and rekap.as_json()["measured"] is True
    # 93,20 / 90,36 = 103,14% (as in test_kertas_kerja), penyerapan 50/200 = 25,00%.
    assert (rows["IKU-1"].value, rows["IKU-1"].capaian, rows["IKU-1"].predikat) == (
        "93.2",
        D("103.14"),
        "Sangat Memuaskan",
    )
    assert rekap.penyerapan_anggaran == D("25.00") and rekap.average_capaian is not None


def test_the_signed_content_does_not_embed_the_measured_flag() -> None:
    rekap = compute_kertas_kerja(_loaded(2))
    content = DocumentContent("S4", 2, "Pengukuran", "kutorejo", "Kecamatan Kutorejo", "2024-TW2", 7, rekap)
    for format in (1, 2):
        embedded = json.loads(content.text(format))["rekap"]
        assert "measured" not in embedded and "average_capaian" in embedded
