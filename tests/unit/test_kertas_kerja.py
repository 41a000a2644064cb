"""The Kertas Kerja computed from loaded rows, with no database: targets, capaian, efisiensi, averages,
its JSON fields, and the signed content's format number."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from workflow.domain.capaian import POLICIES
from workflow.domain.indicators import IndicatorRule, Value
from workflow.domain.periods import Period
from workflow.services.measurement import TargetRow
from workflow.services.rekap import (
    CONTENT_FORMAT,
    CurrentRow,
    DocumentContent,
    LoadedIndicator,
    LoadedRekap,
    Sasaran,
    compute_kertas_kerja,
    content_format,
)

S1 = Sasaran("S1", "Meningkatnya kualitas pelayanan publik", "sasaran")
KL1 = Sasaran("KL1", "Kinerja lainnya", "kinerja_lainnya")
PK = "PK 2024 v1"
RA = "Rencana Aksi 2024 v1"
ROW_FIELDS = [
    "code", "name", "sasaran_code", "sasaran", "sasaran_kind", "satuan", "kind", "direction", "aggregation",
    "external_source", "owner", "target_set", "target", "tw1", "tw2", "tw3", "tw4", "value", "value_percent",
    "capaian", "predikat", "category", "status", "pending", "source_period", "note", "return_note", "efisiensi",
]  # fmt: skip


def _loaded(quarter: int, *, kl2_annual: TargetRow | None = None) -> LoadedRekap:
    ikm = LoadedIndicator(
        "IKU-1", "Indeks Kepuasan Masyarakat", IndicatorRule("IKU-1", "numeric", scale="ikm"), satuan="Indeks",
        owner="camat",
        sasaran=S1, quarters={1: Value(number=D("92.85")), 2: Value(number=D("93.20"))},
        annual=TargetRow(PK, "90.36"), current=CurrentRow("diterima", note="naik"),
    )  # fmt: skip
    budget = LoadedIndicator(
        "ANG", "% Realisasi Anggaran", IndicatorRule("ANG", "ratio"), satuan="%", owner="kasubag_ppk",
        penyerapan=True, sasaran=KL1, quarters={2: Value(numerator=D("50"), denominator=D("200"))},
        annual=TargetRow(PK, "50"), current=CurrentRow("dikirim", source_period="2024-TW2"),
    )  # fmt: skip
    services = LoadedIndicator(
        "KL-2", "Jumlah pelayanan", IndicatorRule("KL-2", "numeric", aggregation="sum"), satuan="Dokumen",
        owner="kasi_pelayanan", sasaran=KL1, quarters={1: Value(number=D("3"))}, waiting=frozenset({2}),
        annual=kl2_annual, plan=TargetRow(RA, "8", ("2", "2", "2", "2")),
        current=CurrentRow("dikembalikan", pending=True, return_note="belum sesuai register"),
    )  # fmt: skip
    nothing = LoadedIndicator("KL-9", "Belum diisi", IndicatorRule("KL-9", "numeric"), owner="@staf")
    return LoadedRekap(
        "kutorejo", "Kecamatan Kutorejo", Period(2024, quarter), 7, PK, POLICIES["mojokerto"],
        (ikm, budget, services, nothing),
    )  # fmt: skip


def test_each_row_is_measured_against_the_target_in_force() -> None:
    rekap = compute_kertas_kerja(_loaded(2))
    rows = {r.code: r for r in rekap.rows}
    # IKM, cumulative: TW II's 93,20 against the PK's 90,36 -> 103,14% (93.20 / 90.36 = 1.031430…).
    assert (rows["IKU-1"].value, rows["IKU-1"].target, rows["IKU-1"].target_set) == ("93.2", "90.36", PK)
    assert rows["IKU-1"].capaian == D("103.14") and rows["IKU-1"].predikat == "Sangat Memuaskan"
    assert rows["IKU-1"].category == "A (Sangat Baik)" and rows["KL-2"].category is None  # IKM 93,2 on its own scale
    assert (rows["IKU-1"].tw1, rows["IKU-1"].tw2, rows["IKU-1"].tw3) == ("92.85", "93.2", None)
    # A ratio: 50/200 = 25,00% against 50 -> 50,00; it is the budget absorption of the unit.
    assert (rows["ANG"].value, rows["ANG"].value_percent, rows["ANG"].capaian) == ("50/200", D("25.00"), D("50.00"))
    assert rekap.penyerapan_anggaran == D("25.00")
    # Summed quarters against the Rencana Aksi's TW I + TW II = 4; TW II waits for its source.
    assert (rows["KL-2"].tw1, rows["KL-2"].tw2, rows["KL-2"].value) == ("3", "menunggu", "3")
    assert (rows["KL-2"].target, rows["KL-2"].target_set, rows["KL-2"].capaian) == ("4", RA, D("75.00"))
    assert (rows["KL-2"].status, rows["KL-2"].pending, rows["KL-2"].return_note) == (
        "dikembalikan", True, "belum sesuai register",
    )  # fmt: skip
    # Efisiensi = capaian - penyerapan, for every measured row.
    assert [rows[c].efisiensi for c in ("IKU-1", "ANG", "KL-2", "KL-9")] == [D("78.14"), D("25.00"), D("50.00"), None]
    # Nothing entered: no value, no capaian, status belum.
    assert (rows["KL-9"].value, rows["KL-9"].capaian, rows["KL-9"].status, rows["KL-9"].target) == (
        None, None, "belum", None,
    )  # fmt: skip


def test_in_triwulan_iv_the_base_sets_annual_target_decides() -> None:
    rows = {r.code: r for r in compute_kertas_kerja(_loaded(4, kl2_annual=TargetRow(PK, "10"))).rows}
    assert (rows["KL-2"].target, rows["KL-2"].target_set, rows["KL-2"].capaian) == ("10", PK, D("30.00"))
    assert rows["KL-2"].tw2 == "menunggu" and rows["KL-2"].tw3 is None  # nothing pending in TW III
    rows = {r.code: r for r in compute_kertas_kerja(_loaded(2, kl2_annual=TargetRow(PK, "10"))).rows}
    assert rows["KL-2"].target_set == RA  # before TW IV the quarter target still counts


def test_values_after_the_triwulan_are_not_counted() -> None:
    loaded = _loaded(1)
    rows = {r.code: r for r in compute_kertas_kerja(loaded).rows}
    assert (rows["IKU-1"].value, rows["IKU-1"].tw2, rows["ANG"].value, rows["KL-2"].tw2) == ("92.85", None, None, None)


def test_sasaran_averages_and_the_overall_average() -> None:
    rekap = compute_kertas_kerja(_loaded(2))
    groups = [(g.code, g.kind, g.indicators, g.average_capaian, g.predikat) for g in rekap.sasaran]
    assert groups == [
        ("S1", "sasaran", 1, D("103.14"), "Sangat Memuaskan"),
        ("KL1", "kinerja_lainnya", 2, D("62.50"), "Baik"),  # (50 + 75) / 2: over 60 up to 70
        (None, None, 1, None, None),  # KL-9 stands under no Sasaran and is not measured
    ]
    assert rekap.average_capaian == D("76.05")  # (103.14 + 50 + 75) / 3 = 76.0466…


def test_the_json_keeps_the_fields_consumers_read() -> None:
    data = compute_kertas_kerja(_loaded(2)).as_json()
    assert list(data) == [
        "unit", "unit_name", "period", "instance_id", "target_set", "policy", "penyerapan_anggaran", "rows",
        "sasaran", "average_capaian", "measured",
    ]  # fmt: skip
    assert (data["period"], data["policy"], data["penyerapan_anggaran"], data["average_capaian"]) == (
        "2024-TW2", "mojokerto", "25.00", "76.05",
    )  # fmt: skip
    assert [list(row) for row in data["rows"]] == [ROW_FIELDS] * 4
    assert data["rows"][0]["capaian"] == "103.14" and data["rows"][2]["efisiensi"] == "50.00"
    assert list(data["sasaran"][1]) == ["code", "name", "kind", "indicators", "average_capaian", "predikat"]
    json.dumps(data)  # plain JSON values only


def test_a_yearly_period_has_no_kertas_kerja() -> None:
    loaded = _loaded(2)
    yearly = LoadedRekap(loaded.unit, loaded.unit_name, Period(2024), None, None, loaded.policy, ())
    with pytest.raises(ValueError, match="per triwulan"):
        compute_kertas_kerja(yearly)


def _document(rekap: bool = True) -> DocumentContent:
    return DocumentContent(
        "pengukuran-data-kinerja", 2, "PENGUKURAN DATA KINERJA", "kutorejo", "Kecamatan Kutorejo", "2024-TW2", 7,
        compute_kertas_kerja(_loaded(2)) if rekap else None,
    )  # fmt: skip


def test_new_content_carries_its_format_number_and_format_1_is_the_same_without_it() -> None:
    document = _document()
    new, old = document.text(), document.text(1)
    assert CONTENT_FORMAT == 2 and new.startswith('{"format":2,"instance_id":7,')
    assert (content_format(new), content_format(old)) == (2, 1)
    assert json.loads(old) == {k: v for k, v in json.loads(new).items() if k != "format"}
    assert old == json.dumps(json.loads(old), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # The workflow's fields of a row (its review status and return note) are not the report's content.
    rows = json.loads(new)["rekap"]["rows"]
    assert all("status" not in r and "return_note" not in r for r in rows) and rows[0]["note"] == "naik"
    assert json.loads(_document(rekap=False).text())["rekap"] is None
    with pytest.raises(ValueError, match="unknown document content format 3"):
        document.text(3)
