"""Performance data: the XLSX import, realisasi entry inside the data-entry fan-out, the per-row
return, the target switch, the Kertas Kerja rekap and its export, and bukti dukung uploads.

Numbers come from the seeds (DOMAIN.md §2.3, §2.5, §2.9): Kutorejo 2024 PK (002:440-449), PK
Perubahan (002:461-470) and results (002:540-549); Jombang's cumulative Rencana Aksi (003:1036-1039).
Every test runs on SQLite and on PostgreSQL (the `db_url` fixture behind `service`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from helpers import S4, advance_to, assert_clean, row_counts
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from workflow.adapters.evidence import UploadSettings
from workflow.adapters.models import (
    DataEvent,
    Evidence,
    Indicator,
    Instance,
    Realisasi,
    Target,
    TargetSet,
)
from workflow.errors import Conflict, InvalidInput, NotAllowed
from workflow.services.demo import DEMO_VALUES, SHORTFALL_NOTE
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission
from workflow.services.workbook import ImportErrors, import_workbook, write_rekap_xlsx

ENTRY = "pengukuran_asn"
KUTOREJO_XLSX = ROOT / "examples" / "kutorejo-2024.xlsx"
JOMBANG_XLSX = ROOT / "examples" / "jombang-2023-rencana-aksi.xlsx"
CODES = [
    "IKU-1", "KL-1", "KL-2", "KL-3.1", "KL-3.2", "KL-3.3", "KL-4", "7.01.01.2.01.07", "7.01.01.2.02.01",
    "7.01.02.2.04", "7.01.02.2.04.02", "7.01.06.2.01.02", "7.01.06.2.01.09", "7.01.06.2.01.11", "7.01.06.2.01.12",
]  # fmt: skip
# Who answers for what (examples/build_examples.py, Penanggung Jawab column).
PELAYANAN = ["KL-1", "7.01.02.2.04", "7.01.02.2.04.02"]
TIM_SAKIP = ["IKU-1", "KL-3.1", "KL-3.3"]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- helpers ---------------------------------------------------------------------------


def _perf(service: WorkflowService, uploads: Path, max_bytes: int | None = None) -> PerformanceService:
    settings = UploadSettings(uploads) if max_bytes is None else UploadSettings(uploads, max_bytes)
    return PerformanceService(service.db, service.registry, clock=service.clock, uploads=settings)


def _import(service: WorkflowService, path: Path = KUTOREJO_XLSX, year: int = 2024) -> Any:
    return import_workbook(service.db, path, "kutorejo", year, "admin", service.clock)


def _rows(service: WorkflowService, period: str) -> dict[str, Realisasi]:
    """The realisasi rows of PERIOD by indicator code."""
    with service.db.unit_of_work(readonly=True) as uow:
        found = uow.session.execute(
            select(Indicator.code, Realisasi)
            .join(Realisasi, Realisasi.indicator_id == Indicator.id)
            .where(Realisasi.period == period)
        ).all()
        return {code: row for code, row in found}


def _set_id(service: WorkflowService, kind: str, version: int = 1, year: int = 2024) -> int:
    with service.db.unit_of_work(readonly=True) as uow:
        found = uow.session.scalar(
            select(TargetSet.id).where(TargetSet.kind == kind, TargetSet.version == version, TargetSet.year == year)
        )
        assert found is not None
        return found


def _targets(service: WorkflowService, set_id: int) -> dict[str, tuple[str, ...]]:
    with service.db.unit_of_work(readonly=True) as uow:
        found = uow.session.execute(
            select(Indicator.code, Target)
            .join(Target, Target.indicator_id == Indicator.id)
            .where(Target.target_set_id == set_id)
        ).all()
        return {code: (t.annual, t.tw1, t.tw2, t.tw3, t.tw4) for code, t in found}


def _edited_copy(src: Path, dest: Path, edit: Callable[[Workbook], None]) -> Path:
    book = load_workbook(src)
    edit(book)
    book.save(dest)
    return dest


def _start_at_entry(service: WorkflowService, period: str) -> int:
    instance_id = service.start(S4, "kutorejo", period, "camat").instance_id
    advance_to(service, instance_id, ENTRY)
    return instance_id


def _entry_task(service: WorkflowService, instance_id: int, username: str) -> int:
    return next(w.task_id for w in service.status(instance_id).waiting_on if w.assignee == username)


def _demo_submission(username: str, code: str, period: str) -> Submission:
    raw = DEMO_VALUES[code][int(period[-1]) - 1]
    if raw is None:
        return Submission(username, code, period, pending=True, note="Belum dirilis oleh sumber data")
    if "/" in raw:
        top, bottom = raw.split("/")
        return Submission(username, code, period, numerator=top, denominator=bottom)
    return Submission(username, code, period, value=raw)


def _submit_demo(perf: PerformanceService, username: str, code: str, period: str) -> dict[str, Any]:
    """Enter the demo value; a shortfall against a Rencana Aksi quarter target is given its reason."""
    sub = _demo_submission(username, code, period)
    try:
        return perf.submit(sub)
    except InvalidInput as exc:
        if "catatan" not in str(exc):
            raise
        return perf.submit(dataclasses.replace(sub, note=SHORTFALL_NOTE))


def _enter_everything(service: WorkflowService, perf: PerformanceService, instance_id: int, *, finish: bool) -> None:
    """Every ASN enters what they owe for the instance's triwulan (and, with FINISH, completes their task)."""
    period = service.status(instance_id).period
    for waiting in service.status(instance_id).waiting_on:
        actor = waiting.assignee or service.candidates(waiting.task_id)[0]
        for code in perf.owed(waiting.task_id):
            _submit_demo(perf, actor, code, period)
        if finish:
            service.act(waiting.task_id, "done", actor)


def _cycle_at_review(service: WorkflowService, perf: PerformanceService, period: str) -> int:
    """An S4 instance whose data is all entered, waiting on the sekcam's reviu (step 9, 002:1399)."""
    instance_id = _start_at_entry(service, period)
    _enter_everything(service, perf, instance_id, finish=True)
    advance_to(service, instance_id, "reviu_sekcam")
    return instance_id


def _year_at_tw4(service: WorkflowService, perf: PerformanceService) -> int:
    """Kutorejo 2024 with TW I..IV entered (DEMO_VALUES); return the TW IV instance, still at data entry."""
    _import(service)
    instance_id = 0
    for quarter in (1, 2, 3, 4):
        instance_id = _start_at_entry(service, f"2024-TW{quarter}")
        _enter_everything(service, perf, instance_id, finish=False)
    return instance_id


# --- 1. import and target versions ---------------------------------------------------------


def test_import_creates_indicators_and_the_first_version_of_each_target_set(
    service: WorkflowService, tmp_path: Path
) -> None:
    report = _import(service)
    assert report.indicators_created == 15 and report.nodes_created == 20
    assert report.target_sets == ["PK 2024 v1", "PK Perubahan 2024 v1", "Rencana Aksi 2024 v1"]
    perf = _perf(service, tmp_path / "up")
    assert [i["code"] for i in perf.indicators("kutorejo", 2024)] == CODES
    assert [(t["kind"], t["version"]) for t in perf.target_sets("kutorejo", 2024)] == [
        ("pk", 1), ("pk_perubahan", 1), ("rencana_aksi", 1),
    ]  # fmt: skip
    pk = _targets(service, _set_id(service, "pk"))
    pkp = _targets(service, _set_id(service, "pk_perubahan"))
    # PK 2024 (002:440-449) and PK Perubahan 2024 (002:461-470): only SAKIP and IP ASN differ.
    assert {c: pk[c][0] for c in ("IKU-1", "KL-1", "KL-3.1", "KL-3.2", "KL-3.3", "KL-4")} == {
        "IKU-1": "90.36", "KL-1": "100", "KL-3.1": "81", "KL-3.2": "97.86", "KL-3.3": "82", "KL-4": "3",
    }  # fmt: skip
    assert {c: pkp[c][0] for c in ("IKU-1", "KL-3.1", "KL-3.3")} == {"IKU-1": "90.36", "KL-3.1": "82", "KL-3.3": "84"}
    plan = _targets(service, _set_id(service, "rencana_aksi"))
    assert plan["KL-3.2"] == ("97.86", "25", "50", "75", "97.86")
    assert len(pk) == len(pkp) == 7 and len(plan) == 9
    with service.db.unit_of_work(readonly=True) as uow:
        event = uow.session.scalars(select(DataEvent)).one()
    assert (event.actor, event.action) == ("admin", "import")


def test_reimporting_the_same_workbook_adds_no_version(service: WorkflowService) -> None:
    _import(service)
    before = row_counts(service)
    report = _import(service)
    assert report.target_sets == []
    assert report.unchanged == ["PK 2024 v1", "PK Perubahan 2024 v1", "Rencana Aksi 2024 v1"]
    assert (report.indicators_created, report.indicators_updated, report.nodes_created) == (0, 15, 0)
    after = row_counts(service)
    assert after["target_sets"] == before["target_sets"] == 3
    assert after["targets"] == before["targets"] and after["indicators"] == before["indicators"] == 15


def test_a_changed_pk_target_becomes_pk_v2_and_leaves_v1_intact(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    v1 = _set_id(service, "pk")
    v1_before = _targets(service, v1)

    def edit(book: Workbook) -> None:
        assert book["PK"]["A6"].value == "KL-3.1"
        book["PK"]["C6"] = "81,5"

    report = _import(service, _edited_copy(KUTOREJO_XLSX, tmp_path / "pk-v2.xlsx", edit))
    assert report.target_sets == ["PK 2024 v2"]
    assert report.unchanged == ["PK Perubahan 2024 v1", "Rencana Aksi 2024 v1"]
    assert _targets(service, v1) == v1_before and v1_before["KL-3.1"][0] == "81"
    v2 = _targets(service, _set_id(service, "pk", 2))
    assert v2["KL-3.1"][0] == "81.5"
    assert {c: t for c, t in v2.items() if c != "KL-3.1"} == {c: t for c, t in v1_before.items() if c != "KL-3.1"}
    assert row_counts(service)["target_sets"] == 4


# --- 2. all or nothing ---------------------------------------------------------------------


def _percentage_summed(book: Workbook) -> None:
    ws = book["Indikator"]
    assert ws["A6"].value == "KL-3.2"
    ws["E6"], ws["G6"] = "persentase", "jumlah"


def _unknown_parent(book: Workbook) -> None:
    ws = book["Indikator"]
    assert ws["A3"].value == "KL-1"
    ws["C3"] = "KL9"


def _ambiguous_target(book: Workbook) -> None:
    ws = book["PK"]
    assert ws["A3"].value == "IKU-1"
    ws["C3"] = "1.234"


def _set(sheet: str, cell: str, value: object) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        book[sheet][cell] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_percentage_summed, "Indikator baris 6: agregasi: persentase tidak boleh dijumlahkan"),
        (_unknown_parent, "Indikator baris 3: induk: KL9 tidak ada di Pohon Kinerja"),
        (_ambiguous_target, "PK baris 3: target: '1.234' dapat dibaca dua cara"),
        # Every cell fits the column it is stored in (workflow/adapters/models.py) and holds no control character.
        (_set("Indikator", "B2", "x" * 32_000), "Indikator baris 2: indikator: at most 500 characters, 32.000 given"),
        (_set("Indikator", "D2", "x" * 5_000), "Indikator baris 2: satuan: at most 64 characters, 5.000 given"),
        (_set("Indikator", "D3", "persen\x9b"), "Indikator baris 3: satuan: contains the control character U+009B"),
        (_set("Pohon Kinerja", "C3", "n" * 501), "Pohon Kinerja baris 3: nama: at most 500 characters, 501 given"),
        (_set("PK", "C3", 1e300), "PK baris 3: target: at most 100 characters, 301 given"),
        (_set("PK", "C3", 1e50), "PK baris 3: target: at most 40 characters, 51 given"),  # as stored
    ],
    ids=[
        "percentage-summed",
        "unknown-induk",
        "ambiguous-target",
        "long-name",
        "long-satuan",
        "control-character",
        "long-node-name",
        "huge-target-cell",
        "huge-target",
    ],
)
def test_a_workbook_with_one_bad_row_writes_nothing(
    service: WorkflowService, tmp_path: Path, edit: Callable[[Workbook], None], expected: str
) -> None:
    bad = _edited_copy(KUTOREJO_XLSX, tmp_path / "bad.xlsx", edit)
    before = row_counts(service)
    with pytest.raises(ImportErrors) as caught:
        _import(service, bad)
    assert expected in str(caught.value)
    assert any(expected in e for e in caught.value.errors)
    assert "tidak ada yang disimpan" in str(caught.value)
    after = row_counts(service)
    assert after == before
    assert (after["plan_nodes"], after["indicators"], after["target_sets"], after["data_events"]) == (0, 0, 0, 0)


# --- 3. realisasi entry: where and what ----------------------------------------------------


def test_realisasi_outside_an_open_data_entry_task_is_a_conflict(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    sub = Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="402", denominator="402")
    before = row_counts(service)
    with pytest.raises(Conflict, match="tidak ada tugas pengisian data"):
        perf.submit(sub)  # no cycle yet
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    for state in ("nota_dinas", "rapat_arahan", "rencana_kegiatan", "metodologi"):
        advance_to(service, instance_id, state)
        with assert_clean(service), pytest.raises(Conflict, match="tidak ada tugas pengisian data"):
            perf.submit(sub)
    assert before["realisasi"] == row_counts(service)["realisasi"] == 0
    advance_to(service, instance_id, ENTRY)
    # Saved as a draf: sent with the task (draf -> dikirim -> dikembalikan/diterima).
    assert perf.submit(sub)["status"] == "draf"


def test_realisasi_of_an_indicator_the_user_does_not_own_is_not_allowed(
    service: WorkflowService, tmp_path: Path
) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    _start_at_entry(service, "2024-TW1")
    with assert_clean(service):
        for user, code, value in (("kasi.trantib", "KL-1", "402/402"), ("kasi.pelayanan", "IKU-1", "92,85")):
            with pytest.raises(NotAllowed, match=f"no open data-entry task .* answers for {code}"):
                perf.submit(Submission(user, code, "2024-TW1", value=value))
    # Its owner may.
    assert perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", value="402/402"))["status"] == "draf"


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("7.01.02.2.04", "1.234", r"nilai: '1\.234' dapat dibaca dua cara; tulis 1234 untuk ribuan, atau 1,2340"),
        ("7.01.02.2.04", "-5", "nilai: tidak boleh negatif"),
        ("7.01.02.2.04", "abc", "nilai: 'abc' bukan angka"),
        ("7.01.02.2.04", "", "nilai: wajib diisi"),
        ("KL-1", "402", "nilai: KL-1 adalah rasio; isi pembilang dan penyebut"),
        ("KL-1", "403/402", "nilai: pembilang 403 lebih besar dari penyebut 402"),
        ("KL-1", "402/0", r"nilai \(penyebut\): tidak boleh nol"),
    ],
    ids=["ambiguous", "negative", "text", "empty", "ratio-as-number", "ratio-over-100", "zero-denominator"],
)
def test_a_bad_value_is_refused_naming_the_field_and_writes_nothing(
    service: WorkflowService, tmp_path: Path, code: str, value: str, message: str
) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    _start_at_entry(service, "2024-TW1")
    with assert_clean(service), pytest.raises(InvalidInput, match=message):
        perf.submit(Submission("kasi.pelayanan", code, "2024-TW1", value=value, note="catatan"))


def test_source_period_is_stored_as_checked_and_anything_else_is_refused(
    service: WorkflowService, tmp_path: Path
) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    _start_at_entry(service, "2024-TW1")
    with assert_clean(service):
        for bad in ("2023" + "\x1f" * 1_000_000, "2023\x0b", "\u0662\u0660\u0662\u0663", "2023-TW5", "", "2023 x"):
            with pytest.raises(
                InvalidInput, match="^source_period: .* harus berbentuk TAHUN atau TAHUN-TWn"
            ) as refused:
                perf.submit(Submission("kasi.pelayanan", "7.01.02.2.04", "2024-TW1", value="5", source_period=bad))
            assert len(str(refused.value)) < 200  # a long value is not repeated in full
    entry = Submission("kasi.pelayanan", "7.01.02.2.04", "2024-TW1", value="5", note="-", source_period=" 2023-TW4 ")
    perf.submit(entry)
    assert _rows(service, "2024-TW1")["7.01.02.2.04"].source_period == "2023-TW4"


def test_a_value_outside_the_indicators_range_is_refused(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    _start_at_entry(service, "2024-TW1")
    with assert_clean(service):
        # IKM runs from 25 to 100 (the SKM conversion with nilai dasar 25, 002:646-650).
        for value, message in (
            ("100,5", "nilai: 100.5 di atas batas maksimum 100"),
            ("24", "di bawah batas minimum 25"),
        ):
            with pytest.raises(InvalidInput, match=message):
                perf.submit(Submission("tim.sakip1", "IKU-1", "2024-TW1", value=value))
        with pytest.raises(InvalidInput, match="period"):
            perf.submit(Submission("tim.sakip1", "IKU-1", "2024-Q1", value="92,85"))
    assert perf.submit(Submission("tim.sakip1", "IKU-1", "2024-TW1", value="100"))["value"] == "100"


# --- 4. the fan-out task completes when its holder's indicators are entered -------------------


def test_the_entry_task_completes_only_when_all_its_indicators_are_entered(
    service: WorkflowService, tmp_path: Path
) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id = _start_at_entry(service, "2024-TW1")
    task = _entry_task(service, instance_id, "kasi.pelayanan")
    names = {i["code"]: i["name"] for i in perf.indicators("kutorejo", 2024)}
    assert perf.owed(task) == PELAYANAN

    def refused(missing: list[str]) -> None:
        with assert_clean(service):
            with pytest.raises(InvalidInput, match="realisasi: belum lengkap untuk 2024-TW1") as caught:
                service.act(task, "done", "kasi.pelayanan")
            listed = str(caught.value).split("2024-TW1: ", 1)[1].split("; ")
            assert listed == [f"{code} {names[code]}" for code in missing]

    refused(PELAYANAN)
    _submit_demo(perf, "kasi.pelayanan", "KL-1", "2024-TW1")
    assert perf.owed(task) == PELAYANAN[1:]
    refused(PELAYANAN[1:])
    for code in PELAYANAN[1:]:
        _submit_demo(perf, "kasi.pelayanan", code, "2024-TW1")
    assert perf.owed(task) == []
    result = service.act(task, "done", "kasi.pelayanan")
    assert result.to_state == ENTRY  # the other ASN have not finished
    assert "kasi.pelayanan" not in {w.assignee for w in service.status(instance_id).waiting_on}
    # Once the holder has finished, the entry is closed to them.
    with pytest.raises(NotAllowed):
        perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", value="400/402", note="koreksi"))
    assert _rows(service, "2024-TW1")["KL-1"].numerator == "402"


def test_a_pending_external_value_counts_as_entered_only_for_an_external_indicator(
    service: WorkflowService, tmp_path: Path
) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id = _start_at_entry(service, "2024-TW1")
    with assert_clean(service):
        with pytest.raises(InvalidInput, match="nilai: KL-2 bukan nilai dari sumber luar"):
            perf.submit(Submission("kasi.pemerintahan", "KL-2", "2024-TW1", pending=True))
        with pytest.raises(InvalidInput, match="tidak keduanya"):
            perf.submit(Submission("tim.sakip1", "KL-3.1", "2024-TW1", value="82,75", pending=True))

    task = _entry_task(service, instance_id, "tim.sakip1")
    assert perf.owed(task) == TIM_SAKIP
    perf.submit(Submission("tim.sakip1", "IKU-1", "2024-TW1", value="92,85"))
    for code in ("KL-3.1", "KL-3.3"):  # the LHE AKIP and IP ASN are not out yet (002:732, 002:548)
        result = perf.submit(Submission("tim.sakip1", code, "2024-TW1", pending=True, note="Belum dirilis"))
        assert (result["pending"], result["value"], result["capaian"]) == (True, None, None)
    assert perf.owed(task) == []
    assert service.act(task, "done", "tim.sakip1").to_state == ENTRY
    # The other Tim SAKIP member answers for the same indicators: nothing left to owe.
    other = _entry_task(service, instance_id, "tim.sakip2")
    assert perf.owed(other) == []
    service.act(other, "done", "tim.sakip2")
    rows = _rows(service, "2024-TW1")
    assert rows["KL-3.1"].pending and rows["KL-3.1"].value is None and rows["KL-3.1"].capaian is None
    tracked = {i["code"]: i for o in perf.tracker(instance_id)["owners"] for i in o["indicators"]}
    assert (tracked["KL-3.1"]["status"], tracked["KL-3.1"]["value"]) == ("dikirim", "menunggu")
    assert (tracked["IKU-1"]["status"], tracked["IKU-1"]["value"]) == ("dikirim", "92.85")


# --- 5. the per-row return ------------------------------------------------------------------

NOTE_PELAYANAN = "Jumlah pelayanan sesuai standar belum cocok dengan register PATEN."
NOTE_KEMASYARAKATAN = "Dokumen fasilitasi lembaga kemasyarakatan TW I belum dilampirkan."


def test_a_per_row_return_reaches_exactly_the_owners_of_the_rows(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id = _cycle_at_review(service, perf, "2024-TW1")
    assert {r.status for r in _rows(service, "2024-TW1").values()} == {"dikirim"}
    review = service.status(instance_id).waiting_on[0].task_id
    rows = {"KL-1": NOTE_PELAYANAN, "7.01.06.2.01.12": NOTE_KEMASYARAKATAN}

    result = service.act(review, "return", "sekcam", "Dua baris perlu diperbaiki", rows)

    assert (result.from_state, result.to_state) == ("reviu_sekcam", ENTRY)
    waiting = service.status(instance_id).waiting_on
    assert sorted(w.assignee or "" for w in waiting) == ["kasi.kemasyarakatan", "kasi.pelayanan"]
    assert set(result.opened_task_ids) == {w.task_id for w in waiting}
    for user, mine, other in (
        ("kasi.pelayanan", NOTE_PELAYANAN, NOTE_KEMASYARAKATAN),
        ("kasi.kemasyarakatan", NOTE_KEMASYARAKATAN, NOTE_PELAYANAN),
    ):
        (view,) = [v for v in service.tasks_for(user) if v.instance_id == instance_id]
        assert view.step_id == ENTRY and view.round == 2
        assert view.return_note is not None and mine in view.return_note and other not in view.return_note
    for user in ("kasi.pemerintahan", "kasi.trantib", "kasi.pembangunan", "kasubag", "tim.sakip1", "tim.sakip2"):
        assert [v for v in service.tasks_for(user) if v.instance_id == instance_id] == []

    stored = _rows(service, "2024-TW1")
    assert {c: (r.status, r.return_note) for c, r in stored.items() if r.status != "diterima"} == {
        "KL-1": ("dikembalikan", NOTE_PELAYANAN),
        "7.01.06.2.01.12": ("dikembalikan", NOTE_KEMASYARAKATAN),
    }
    assert len(stored) == 15
    event = service.history(instance_id)[-1]
    assert event.action == "return" and event.actor == "sekcam"
    assert event.note is not None and NOTE_PELAYANAN in event.note and NOTE_KEMASYARAKATAN in event.note

    tracker = perf.tracker(instance_id)
    assert tracker["counts"] == {"belum": 0, "draf": 0, "dikirim": 0, "dikembalikan": 2, "diterima": 13}
    assert tracker["progress"] == "86.67"  # 13 of 15 rows stand
    tracked = {i["code"]: (i["status"], i["return_note"]) for o in tracker["owners"] for i in o["indicators"]}
    assert tracked == {c: (r.status, r.return_note) for c, r in stored.items()}
    owes = {o["owner"]: o["owes"] for o in tracker["owners"]}
    assert {k: v for k, v in owes.items() if v} == {"kasi.pelayanan": 1, "kasi.kemasyarakatan": 1}
    owner = next(o for o in tracker["owners"] if o["owner"] == "kasi.pelayanan")
    assert owner["task"]["status"] == "open" and owner["task"]["round"] == 2

    # A row the sekcam accepted stays as it is, even for an owner with an open task again.
    with pytest.raises(Conflict, match="7.01.02.2.04 2024-TW1 sudah diterima"):
        perf.submit(Submission("kasi.pelayanan", "7.01.02.2.04", "2024-TW1", value="170", note="koreksi"))
    # The owners correct their rows; the cycle moves on to the Tim SAKIP's evaluasi.
    for user, code in (("kasi.pelayanan", "KL-1"), ("kasi.kemasyarakatan", "7.01.06.2.01.12")):
        task = _entry_task(service, instance_id, user)
        assert perf.owed(task) == [code]
        with pytest.raises(InvalidInput, match=code):
            service.act(task, "done", user)
        value = "401/402" if code == "KL-1" else "2"
        perf.submit(Submission(user, code, "2024-TW1", value=value, note="Dikoreksi sesuai arahan"))
        service.act(task, "done", user)
    assert service.status(instance_id).state == "evaluasi"
    after = _rows(service, "2024-TW1")
    assert (after["KL-1"].status, after["KL-1"].numerator, after["KL-1"].return_note) == ("dikirim", "401", None)
    assert after["7.01.02.2.04"].value == "101" and after["KL-2"].status == "diterima"


def test_a_return_naming_an_unknown_or_unentered_row_changes_nothing(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id = _cycle_at_review(service, perf, "2024-TW1")
    # An indicator added after the data entry (the Camat answers for it; no ASN entered it).
    late = tmp_path / "late.xlsx"
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Indikator"
    ws.append(["Kode", "Indikator", "Induk", "Satuan", "Jenis", "Agregasi", "Penanggung Jawab"])
    ws.append(["KL-9", "Indikator tambahan", "S1", "Dokumen", "angka", "jumlah", "camat"])
    book.save(late)
    assert _import(service, late).indicators_created == 1
    review = service.status(instance_id).waiting_on[0].task_id
    before = row_counts(service)
    statuses = {c: r.status for c, r in _rows(service, "2024-TW1").items()}
    for rows, message in (
        ({"NOPE": "x"}, "'NOPE' is not an indicator of this unit for 2024"),
        ({"KL-1": NOTE_PELAYANAN, "NOPE": "x"}, "'NOPE' is not an indicator"),
        ({"KL-9": "belum ada"}, "KL-9 has no realisasi for 2024-TW1"),
        ({"KL-1": "  "}, "KL-1 needs a note"),
    ):
        with pytest.raises(InvalidInput, match=message):
            service.act(review, "return", "sekcam", "Perbaiki", rows)
        assert row_counts(service) == before
        assert {c: r.status for c, r in _rows(service, "2024-TW1").items()} == statuses
        assert service.status(instance_id).state == "reviu_sekcam"
    assert set(statuses.values()) == {"dikirim"}
    # An approval accepts every row.
    service.act(review, "approve", "sekcam")
    assert {r.status for r in _rows(service, "2024-TW1").values()} == {"diterima"}


# --- 6. the target switch and the TW IV rekap -------------------------------------------------


def test_switch_to_pk_perubahan_is_audited_remeasures_and_reproduces_kutorejo_2024(
    service: WorkflowService, tmp_path: Path
) -> None:
    perf = _perf(service, tmp_path / "up")
    instance_id = _year_at_tw4(service, perf)
    pk, pkp, plan = (_set_id(service, k) for k in ("pk", "pk_perubahan", "rencana_aksi"))

    # Against the PK (no switch): SAKIP 82,75 vs 81 -> 102,16 (002:89, 002:618-620).
    rekap = {r["code"]: r for r in perf.rekap("kutorejo", "2024-TW4")["rows"]}
    assert perf.rekap("kutorejo", "2024-TW4")["target_set"] == "PK 2024 v1"
    assert (rekap["KL-3.1"]["target"], rekap["KL-3.1"]["capaian"]) == ("81", "102.16")
    assert (rekap["IKU-1"]["target"], rekap["IKU-1"]["capaian"]) == ("90.36", "103.65")
    sakip = _rows(service, "2024-TW4")["KL-3.1"]
    assert (sakip.target_set_id, sakip.target_value, sakip.capaian) == (pk, "81", "102.16")
    tw3_before = {c: (r.target_set_id, r.target_value, r.capaian) for c, r in _rows(service, "2024-TW3").items()}
    events_before = len(service.history(instance_id))

    switched = perf.use_targets(instance_id, "pk_perubahan", "tim.sakip1", "PK Perubahan ditandatangani")

    assert switched == {
        "instance_id": instance_id,
        "from": "PK 2024 v1",
        "to": "PK Perubahan 2024 v1",
        "remeasured": 15,
    }
    history = service.history(instance_id)
    assert len(history) == events_before + 1
    (event,) = [e for e in history if e.action == "switch_targets"]
    assert (event.actor, event.role, event.from_state, event.to_state) == ("tim.sakip1", "tim_sakip", ENTRY, ENTRY)
    assert event.note == "PK 2024 v1 -> PK Perubahan 2024 v1: PK Perubahan ditandatangani"

    # Each TW IV row now records what it is measured against; TW III is not touched.
    rows = _rows(service, "2024-TW4")
    measured = {c: (r.target_set_id, r.target_value, r.capaian) for c, r in rows.items()}
    assert measured["KL-3.1"] == (pkp, "82", "100.91")
    assert measured["IKU-1"] == (pkp, "90.36", "103.65")
    assert measured["KL-3.3"] == (pkp, "84", "100.90")
    # In TW IV the year is measured against the chosen set, not the Rencana Aksi's own TW IV figure.
    assert measured["KL-3.2"] == (pkp, "97.86", "95.39")
    assert {c: (r.target_set_id, r.target_value, r.capaian) for c, r in _rows(service, "2024-TW3").items()} == (
        tw3_before
    )
    assert tw3_before["KL-3.1"] == (pk, "81", "102.16")

    data = perf.rekap("kutorejo", "2024-TW4")
    assert data["target_set"] == "PK Perubahan 2024 v1"
    rekap = {r["code"]: r for r in data["rows"]}
    got = {c: (rekap[c]["target"], rekap[c]["value_percent"] or rekap[c]["value"], rekap[c]["capaian"]) for c in rekap}
    assert got["IKU-1"] == ("90.36", "93.66", "103.65")  # F7, 002:540
    assert got["KL-3.1"] == ("82", "82.75", "100.91")  # 002:545
    assert got["KL-3.2"] == ("97.86", "93.35", "95.39")  # F8, 002:547, 002:736-738
    assert rekap["KL-3.2"]["value"] == "2775362102/2973061600"
    assert got["KL-3.3"] == ("84", "84.76", "100.90")  # 002:548
    assert (rekap["KL-1"]["value"], rekap["KL-1"]["capaian"]) == ("1736/1736", "100.00")  # F10, 002:666
    assert (rekap["KL-2"]["value"], rekap["KL-2"]["capaian"]) == ("26/26", "100.00")  # F10, 002:672
    assert (rekap["KL-4"]["value"], rekap["KL-4"]["capaian"]) == ("3", "100.00")  # 002:549
    assert data["penyerapan_anggaran"] == "93.35"

    with pytest.raises(Conflict, match="already measures against PK Perubahan 2024 v1"):
        perf.use_targets(instance_id, "pk_perubahan", "tim.sakip1", "sekali lagi")


def test_a_target_switch_needs_a_note_and_a_role_that_may_switch(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id = _start_at_entry(service, "2024-TW1")
    perf.submit(Submission("tim.sakip1", "KL-3.1", "2024-TW1", value="82,75"))
    with assert_clean(service):
        for note in (None, "", "   "):
            with pytest.raises(InvalidInput, match="note"):
                perf.use_targets(instance_id, "pk_perubahan", "tim.sakip1", note)
        for user in ("kasi.pelayanan", "kasubag"):
            with pytest.raises(NotAllowed, match=f"{user}.*may not change the targets"):
                perf.use_targets(instance_id, "pk_perubahan", user, "PK Perubahan ditandatangani")
        with pytest.raises(InvalidInput, match="set"):
            perf.use_targets(instance_id, "rencana_aksi", "tim.sakip1", "Rencana Aksi")
    assert not [e for e in service.history(instance_id) if e.action == "switch_targets"]
    row = _rows(service, "2024-TW1")["KL-3.1"]
    assert (row.target_set_id, row.target_value, row.capaian) == (_set_id(service, "pk"), "81", "102.16")
    # The sekcam may (SWITCH_ROLES).
    perf.use_targets(instance_id, "pk_perubahan", "sekcam", "PK Perubahan ditandatangani")
    assert _rows(service, "2024-TW1")["KL-3.1"].capaian == "100.91"


# --- 7. F16: cumulative quarterly targets of a Rencana Aksi ----------------------------------


def test_rencana_aksi_cumulative_quarter_targets_are_used_f16(service: WorkflowService, tmp_path: Path) -> None:
    report = _import(service, JOMBANG_XLSX, 2023)
    assert report.target_sets == ["Rencana Aksi 2023 v1"]
    assert _targets(service, _set_id(service, "rencana_aksi", year=2023)) == {
        "SKM-APARATUR": ("95", "23", "46", "69", "95")  # 003:1036-1039
    }
    perf = _perf(service, tmp_path / "up")
    _start_at_entry(service, "2023-TW2")
    with assert_clean(service):
        # Short of the TW II target 46, the entry needs its reason.
        with pytest.raises(InvalidInput, match="catatan: capaian SKM-APARATUR 86,96% di bawah target"):
            perf.submit(Submission("tim.sakip1", "SKM-APARATUR", "2023-TW2", value="40"))
    result = perf.submit(Submission("tim.sakip1", "SKM-APARATUR", "2023-TW2", value="46"))
    assert (result["target"], result["capaian"]) == ("46", "100.00")  # not 48.42 against 95
    assert result["target_set"] == "Rencana Aksi 2023 v1"
    row = _rows(service, "2023-TW2")["SKM-APARATUR"]
    assert (row.target_set_id, row.target_value, row.capaian) == (
        _set_id(service, "rencana_aksi", year=2023), "46", "100.00",
    )  # fmt: skip
    (rekap_row,) = perf.rekap("kutorejo", "2023-TW2")["rows"]
    assert (rekap_row["target"], rekap_row["capaian"], rekap_row["tw2"]) == ("46", "100.00", "46")


def _tw4_not_annual(book: Workbook) -> None:
    ws = book["Rencana Aksi"]
    assert (ws["A3"].value, ws["G3"].value) == ("SKM-APARATUR", 95)
    ws["G3"] = 90


def _going_down(book: Workbook) -> None:
    ws = book["Rencana Aksi"]
    assert (ws["A3"].value, ws["F3"].value) == ("SKM-APARATUR", 69)
    ws["F3"] = 40


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_tw4_not_annual, "Rencana Aksi baris 3: target TW IV 90 harus sama dengan target tahunan 95"),
        (_going_down, "Rencana Aksi baris 3: target kumulatif tidak boleh turun dari triwulan ke triwulan"),
    ],
    ids=["tw4-not-annual", "cumulative-goes-down"],
)
def test_an_inconsistent_rencana_aksi_is_refused_at_import(
    service: WorkflowService, tmp_path: Path, edit: Callable[[Workbook], None], expected: str
) -> None:
    bad = _edited_copy(JOMBANG_XLSX, tmp_path / "bad-plan.xlsx", edit)
    before = row_counts(service)
    with pytest.raises(ImportErrors) as caught:
        _import(service, bad, 2023)
    assert caught.value.errors == [expected]
    assert row_counts(service) == before
    assert (before["plan_nodes"], before["indicators"], before["target_sets"]) == (0, 0, 0)


# --- 8. the Kertas Kerja as XLSX -------------------------------------------------------------


def test_rekap_xlsx_reads_back_with_codes_and_numeric_capaian(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id = _start_at_entry(service, "2024-TW1")
    _enter_everything(service, perf, instance_id, finish=False)
    rekap = perf.rekap("kutorejo", "2024-TW1")
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(rekap, path)

    ws = load_workbook(path)["Kertas Kerja"]
    assert [c.value for c in ws[4]][2:4] == ["Kode", "Indikator"] and ws.cell(4, 13).value == "Capaian (%)"
    rows = {ws.cell(r, 3).value: r for r in range(5, 5 + len(CODES))}
    assert list(rows) == CODES
    capaian = {code: ws.cell(r, 13).value for code, r in rows.items()}
    # IKM 92,85 vs the PK's 90,36 in TW I -> 102,76 (DEMO_VALUES; target 002:440).
    assert capaian["IKU-1"] == pytest.approx(102.76)
    assert capaian["KL-1"] == pytest.approx(100)
    assert capaian["KL-3.1"] is None  # the LHE AKIP is pending in TW I
    numeric = [v for v in capaian.values() if v is not None]
    assert len(numeric) == 13 and all(isinstance(v, int | float) for v in numeric)
    by_code = {r["code"]: r for r in rekap["rows"]}
    for code, value in capaian.items():
        assert value == (None if by_code[code]["capaian"] is None else pytest.approx(float(by_code[code]["capaian"])))
    assert ws.cell(rows["IKU-1"], 13).number_format == "#,##0.00"
    assert ws.cell(rows["IKU-1"], 7).value == pytest.approx(90.36)  # the target, a number too


# --- 9. bukti dukung -------------------------------------------------------------------------


def test_evidence_is_stored_by_hash_with_its_realisasi(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    uploads = tmp_path / "up"
    perf = _perf(service, uploads)
    instance_id = _start_at_entry(service, "2024-TW1")
    sub = Submission(
        "kasi.pelayanan", "KL-1", "2024-TW1", numerator="402", denominator="402", files=[("bukti.pdf", PDF)]
    )
    perf.submit(sub)
    digest = hashlib.sha256(PDF).hexdigest()
    row = _rows(service, "2024-TW1")["KL-1"]
    with service.db.unit_of_work(readonly=True) as uow:
        evidence = uow.session.scalars(select(Evidence)).one()
    assert (evidence.realisasi_id, evidence.filename, evidence.content_type) == (row.id, "bukti.pdf", "application/pdf")
    assert (evidence.size, evidence.sha256) == (len(PDF), digest)
    stored = uploads / digest[:2] / digest
    assert stored.read_bytes() == PDF
    assert [p for p in uploads.rglob("*") if p.is_file()] == [stored]
    (event,) = [e for e in service.history(instance_id) if e.action == "realisasi"]
    assert event.note is not None and "1 bukti dukung" in event.note


@pytest.mark.parametrize(
    ("files", "value", "message"),
    [
        ([("bukti.pdf", b"MZ\x90\x00\x03\x00\x00\x00")], "402/402", "isi berkas adalah program"),
        ([("bukti.pdf", PDF + b"0" * 2048)], "402/402", "melebihi batas 1.024 byte"),
        ([("bukti.exe", PDF)], "402/402", "jenis berkas .exe tidak diizinkan"),
        ([("bukti.pdf", b"<html>not a pdf</html>")], "402/402", "isi berkas tidak sesuai dengan jenis .pdf"),
        ([("ok.pdf", PDF)], "abc/402", "nilai \\(pembilang\\): 'abc' bukan angka"),  # a good file, a bad value
        ([("a" * 300_000 + ".pdf", PDF)], "402/402", "^bukti dukung: nama berkas 300.004 karakter melebihi batas 200"),
        (
            [(f"bukti-{i}.pdf", PDF + bytes([i])) for i in range(11)],  # ten good files, and one more
            "402/402",
            "^bukti dukung: 11 berkas melebihi batas 10 berkas per isian$",
        ),
    ],
    ids=[
        "disguised-executable",
        "oversized",
        "exe-extension",
        "not-a-pdf",
        "good-file-bad-value",
        "long-name",
        "too-many-files",
    ],
)
def test_a_refused_upload_leaves_no_file_and_no_row(
    service: WorkflowService, tmp_path: Path, files: list[tuple[str, bytes]], value: str, message: str
) -> None:
    _import(service)
    uploads = tmp_path / "up"
    perf = _perf(service, uploads, max_bytes=1024)
    _start_at_entry(service, "2024-TW1")
    before = row_counts(service)
    with pytest.raises(InvalidInput, match=message):
        perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", value=value, files=files))
    assert row_counts(service) == before and before["evidence"] == before["realisasi"] == 0
    assert not uploads.exists() or [p for p in uploads.rglob("*") if p.is_file()] == []


def test_only_a_planner_of_the_unit_may_import(service: WorkflowService) -> None:
    with pytest.raises(NotAllowed, match="may not import data for kutorejo"):
        import_workbook(service.db, KUTOREJO_XLSX, "kutorejo", 2024, "kasi.pelayanan", service.clock)
    assert row_counts(service)["indicators"] == 0
    report = import_workbook(service.db, KUTOREJO_XLSX, "kutorejo", 2024, "kasubag", service.clock)
    assert report.indicators_created == 15


def test_a_corrected_pk_imported_mid_year_is_used_from_the_next_cycle(service: WorkflowService, tmp_path: Path) -> None:
    perf = _perf(service, tmp_path / "up")
    _import(service)
    _start_at_entry(service, "2024-TW1")
    corrected = _edited_copy(KUTOREJO_XLSX, tmp_path / "pk-v2.xlsx", lambda book: _set_pk(book, "KL-3.1", "85"))
    assert "PK 2024 v2" in _import(service, corrected).target_sets
    tw2 = _start_at_entry(service, "2024-TW2")
    result = perf.submit(Submission("tim.sakip1", "KL-3.1", "2024-TW2", value="82,75", note="LHE AKIP 2024"))
    # Measured against the newest PK (v2, 85), not the v1 the previous cycle used: 82,75/85 = 97.35.
    assert (result["target"], result["target_set"], result["capaian"]) == ("85", "PK 2024 v2", "97.35")
    assert perf.rekap("kutorejo", "2024-TW2")["instance_id"] == tw2


def _set_pk(book: Workbook, code: str, value: str) -> None:
    sheet = book["PK"]
    for row in sheet.iter_rows(min_row=1):
        if row[0].value == code:
            row[2].value = value


def test_a_switch_decides_tw4_even_where_a_rencana_aksi_has_quarter_targets(
    service: WorkflowService, tmp_path: Path
) -> None:
    perf = _perf(service, tmp_path / "up")

    def edit(book: Workbook) -> None:
        sheet = book["PK Perubahan"]
        for row in sheet.iter_rows(min_row=1):
            if row[0].value == "KL-3.2":
                row[2].value = "95"

    _import(service, _edited_copy(KUTOREJO_XLSX, tmp_path / "pkp95.xlsx", edit))
    instance_id = _start_at_entry(service, "2024-TW4")
    perf.use_targets(instance_id, "pk_perubahan", "tim.sakip1", "PK Perubahan ditandatangani")
    result = perf.submit(dataclasses.replace(_demo_submission("kasubag", "KL-3.2", "2024-TW4"), note="Sisa pagu"))
    # 93,35% (002:736-738) against the PK Perubahan's 95, not the Rencana Aksi's TW IV 97,86: 98.26.
    assert (result["target"], result["target_set"], result["capaian"]) == ("95", "PK Perubahan 2024 v1", "98.26")


def _signatures_match(service: WorkflowService, instance_id: int) -> list[bool]:
    from workflow.adapters.models import Signature
    from workflow.services.rekap import document_content, sha256_text

    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = s.get(Instance, instance_id)
        assert instance is not None
        spec = service.registry.get(instance.sop_key, instance.sop_version)
        current = sha256_text(document_content(s, instance, spec.nama))
        return [
            sig.sha256 == current for sig in s.scalars(select(Signature).where(Signature.instance_id == instance_id))
        ]


def test_parafs_and_the_signature_still_match_after_the_rows_are_accepted(
    service: WorkflowService, tmp_path: Path
) -> None:
    # S3 (002:1342-1369): paraf Kasubag, paraf Sekcam, tanda tangan Camat; the rows turn `diterima` at
    # the end, which is workflow state, not the report's content: no signature may read as changed.
    perf = _perf(service, tmp_path / "up")
    _import(service)
    s3 = "pengumpulan-data-kinerja"
    instance_id = service.start(s3, "kutorejo", "2024-TW1", "staf").instance_id
    advance_to(service, instance_id, "isi_data_kasi")
    _enter_everything(service, perf, instance_id, finish=True)
    advance_to(service, instance_id, "selesai")
    assert _signatures_match(service, instance_id) == [True, True, True]
    assert set(_rows(service, "2024-TW1")[c].status for c in PELAYANAN) == {"diterima"}


def test_a_finished_cycle_keeps_its_targets_and_its_rencana_aksi(service: WorkflowService, tmp_path: Path) -> None:
    perf = _perf(service, tmp_path / "up")
    _import(service)
    instance_id = _cycle_at_review(service, perf, "2024-TW1")
    advance_to(service, instance_id, "selesai")
    before = perf.rekap("kutorejo", "2024-TW1")
    with pytest.raises(Conflict, match="signed or finished"):
        perf.use_targets(instance_id, "pk_perubahan", "tim.sakip1", "PK Perubahan ditandatangani")

    def corrected(book: Workbook) -> None:
        for row in book["Rencana Aksi"].iter_rows(min_row=2):
            if row[0].value == "7.01.02.2.04":
                row[3].value, row[4].value = "150", "190"  # TW I 170 -> 150 (and TW II 170 -> 190) after signing

    service.clock.now += timedelta(days=1)  # type: ignore[attr-defined]
    assert (
        "Rencana Aksi 2024 v2"
        in _import(service, _edited_copy(KUTOREJO_XLSX, tmp_path / "ra2.xlsx", corrected)).target_sets
    )
    after = perf.rekap("kutorejo", "2024-TW1")
    assert after["rows"] == before["rows"]  # the closed TW I report is measured as it was signed
    assert _signatures_match(service, instance_id) == [True]


def test_a_note_that_looks_like_a_formula_stays_text_in_the_exported_rekap(
    service: WorkflowService, tmp_path: Path
) -> None:
    perf = _perf(service, tmp_path / "up")
    _import(service)
    _start_at_entry(service, "2024-TW1")
    evil = '=HYPERLINK("http://evil.example","klik")'
    perf.submit(Submission("kasi.pelayanan", "7.01.02.2.04.02", "2024-TW1", value="4", note=evil))
    path = tmp_path / "rekap.xlsx"
    write_rekap_xlsx(perf.rekap("kutorejo", "2024-TW1"), path)
    sheet = load_workbook(path)["Kertas Kerja"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == evil]
    assert len(cells) == 1 and cells[0].data_type == "s"


# --- 6. plausibility and the draf status (issue #15) -------------------------------------------

EXPLAINED = "Laporan TW II termasuk laporan susulan dari TW I."


def _at_tw2_entry(service: WorkflowService, perf: PerformanceService) -> tuple[int, int]:
    """TW I entered and approved (DEMO_VALUES), TW II at the ASN fan-out; (instance, kasi.pelayanan's task)."""
    first = _cycle_at_review(service, perf, "2024-TW1")
    advance_to(service, first, "arsip")
    instance_id = _start_at_entry(service, "2024-TW2")
    return instance_id, _entry_task(service, instance_id, "kasi.pelayanan")


def test_a_capaian_above_the_ceiling_needs_a_penjelasan_and_writes_nothing_without_one(
    service: WorkflowService, tmp_path: Path
) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    _at_tw2_entry(service, perf)
    # 7.01.02.2.04.02 sums its quarters: TW I 4 (DEMO_VALUES), Rencana Aksi 4 + 5 = 9 s.d. TW II.
    # Typing the year-to-date 9 as the quarter's value gives 13/9 = 144,44 %: refused without a word.
    typed_to_date = Submission("kasi.pelayanan", "7.01.02.2.04.02", "2024-TW2", value="9")
    with assert_clean(service), pytest.raises(InvalidInput) as refused:
        perf.submit(typed_to_date)
    assert refused.value.code == "realisasi.needs_explanation"
    assert "144,44%" in str(refused.value) and "120%" in str(refused.value)
    # The quarter's own 5 gives 100 %: no note needed.
    assert perf.submit(dataclasses.replace(typed_to_date, value="5"))["capaian"] == "100.00"
    # A true overachievement is accepted with its penjelasan.
    kept = perf.submit(dataclasses.replace(typed_to_date, value="9", note=EXPLAINED))
    assert (kept["capaian"], kept["note"], kept["status"]) == ("144.44", EXPLAINED, "draf")


def test_the_ceiling_is_set_per_kabupaten_in_the_org_file(service: WorkflowService, tmp_path: Path) -> None:
    text = (ROOT / "examples" / "org-kutorejo.yaml").read_text()
    org = tmp_path / "org.yaml"
    org.write_text(
        text.replace(
            "    capaian_policy: mojokerto\n",
            "    capaian_policy: mojokerto\n    plausibility:\n      capaian_ceiling: 150\n",
            1,
        )
    )
    from helpers import load_org_file

    load_org_file(service.db, org)
    _import(service)
    perf = _perf(service, tmp_path / "up")
    _at_tw2_entry(service, perf)
    # 144,44 % is under Mojokerto's own 150 %: accepted without a penjelasan.
    assert perf.submit(Submission("kasi.pelayanan", "7.01.02.2.04.02", "2024-TW2", value="9"))["capaian"] == "144.44"


def test_saved_rows_are_draf_until_the_task_is_sent(service: WorkflowService, tmp_path: Path) -> None:
    _import(service)
    perf = _perf(service, tmp_path / "up")
    instance_id, task = _at_tw2_entry(service, perf)
    for code, value in (("KL-1", "431/431"), ("7.01.02.2.04", "93"), ("7.01.02.2.04.02", "5")):
        sub = Submission(
            "kasi.pelayanan", code, "2024-TW2", value=value, note="Di bawah rencana" if code == "7.01.02.2.04" else None
        )
        assert perf.submit(sub)["status"] == "draf"
    assert perf.owed(task) == []  # saved rows are not owed: Kirim sends them
    mine = ("KL-1", "7.01.02.2.04", "7.01.02.2.04.02")
    assert {c: r.status for c, r in _rows(service, "2024-TW2").items() if c in mine} == dict.fromkeys(mine, "draf")
    service.act(task, "done", "kasi.pelayanan")
    rows = _rows(service, "2024-TW2")
    assert {rows[c].status for c in mine} == {"dikirim"}
    # Nobody else's rows were sent by it.
    assert {r.status for c, r in rows.items() if c not in mine} <= {"draf"}
    counts = perf.tracker(instance_id)["counts"]
    assert counts["dikirim"] == 3 and counts["draf"] == 0
