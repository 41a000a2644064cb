"""Documents read back by a reader we did not write: `pdftotext` (Debian poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, SOP_DIR, missing_service
from helpers import S4, advance_to, load_org_file

from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.evidence import UploadSettings
from workflow.services.demo import DEMO_VALUES
from workflow.services.documents import bukti_dukung, laporan, sop_sheet
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission
from workflow.services.workbook import import_workbook
from workflow.sop.spec import SopRegistry

REGISTRY = SopRegistry.from_directory(SOP_DIR)
RETURN_NOTE = "KL-1 belum sesuai register PATEN"


def pdf_text(pdf: bytes, tmp_path: Path, layout: bool = False) -> str:
    if shutil.which("pdftotext") is None:
        missing_service("pdftotext is not installed (Debian package poppler-utils)")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return re.sub(r"[ \t]+", " ", out.stdout)


def test_the_s4_sheet_shows_all_eleven_steps_in_order_with_waktu_and_output(tmp_path: Path) -> None:
    spec = REGISTRY.get(S4, 1)
    text = pdf_text(sop_sheet(spec).pdf(), tmp_path)
    flat = " ".join(text.split())
    assert "065/ 520 /416-307/2023" in flat and "14 September 2023" in flat  # 002:1373-1376
    assert "Dasar Hukum" in flat and "Kualifikasi Pelaksana" in flat and "Pencatatan dan Pendataan" in flat
    positions = []
    for step in spec.steps:
        start = " ".join(step.kegiatan.split()[:4])
        assert start in flat, step.no
        positions.append(flat.index(start))
    assert positions == sorted(positions)  # 002:1390-1401, in order
    for step in spec.steps:
        if step.waktu is not None:
            assert step.waktu.printed in flat
        if step.output:
            assert " ".join(step.output.split()[:3]) in flat
    assert "Bagan Alur" in flat


def _site(tmp_path: Path) -> tuple[WorkflowService, PerformanceService]:
    db = Database.from_url(f"sqlite:///{tmp_path / 'd.db'}")
    schema.upgrade(db.engine)
    load_org_file(db)
    service = WorkflowService(db, REGISTRY)
    import_workbook(db, ROOT / "examples" / "kutorejo-2024.xlsx", "kutorejo", 2024, "admin")
    return service, PerformanceService(db, REGISTRY, uploads=UploadSettings(tmp_path / "up"))


def _enter(service: WorkflowService, perf: PerformanceService, instance_id: int) -> None:
    for waiting in service.status(instance_id).waiting_on:
        user = waiting.assignee or ""
        for code in perf.owed(waiting.task_id):
            raw = DEMO_VALUES[code][0]
            if raw is None:
                perf.submit(Submission(user, code, "2024-TW1", pending=True))
            elif "/" in raw:
                top, bottom = raw.split("/")
                perf.submit(Submission(user, code, "2024-TW1", numerator=top, denominator=bottom, note="Jadwal"))
            else:
                perf.submit(Submission(user, code, "2024-TW1", value=raw, note="Jadwal"))
        service.act(waiting.task_id, "done", user)


def cycle_with_one_return(service: WorkflowService, perf: PerformanceService) -> int:
    """Kutorejo 2024-TW1 at the sekcam's second review: KL-1 was returned once and corrected."""
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "pengukuran_asn")
    _enter(service, perf, instance_id)
    advance_to(service, instance_id, "reviu_sekcam")
    review = service.status(instance_id).waiting_on[0].task_id
    service.act(review, "return", "sekcam", "Mohon diperbaiki", {"KL-1": RETURN_NOTE})
    task = service.status(instance_id).waiting_on[0].task_id
    perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="400", denominator="402", note="Koreksi"))
    service.act(task, "done", "kasi.pelayanan")
    advance_to(service, instance_id, "reviu_sekcam")
    return instance_id


def test_the_laporan_and_the_bukti_dukung_of_a_cycle_with_one_return(tmp_path: Path) -> None:
    service, perf = _site(tmp_path)
    instance_id = cycle_with_one_return(service, perf)

    draft = pdf_text(laporan(service, instance_id).pdf(), tmp_path)
    assert "DRAF" in draft and "Rahmat Hidayat" in draft  # the Camat who would sign (org file)

    service.act(service.status(instance_id).waiting_on[0].task_id, "approve", "sekcam")
    service.act(service.status(instance_id).waiting_on[0].task_id, "sign", "camat")
    final = pdf_text(laporan(service, instance_id).pdf(), tmp_path)
    flat = " ".join(final.split())
    assert "DRAF" not in final
    assert "LAPORAN HASIL PENGUKURAN DATA KINERJA" in flat and "KECAMATAN KUTOREJO" in flat
    assert "PERIODE TRIWULAN I TAHUN 2024" in flat
    assert "102,76%" in flat  # IKM 92,85 against 90,36 (002:440)
    assert "400/402" in flat and "99,50%" in flat  # the corrected KL-1
    assert "NIP. 197501012000031001" in flat and "Pembina Tk. I (IV/b)" in flat
    sha = re.search(r"SHA-256 dokumen: ([0-9a-f]{64})", flat)
    assert sha is not None

    service.act(service.status(instance_id).waiting_on[0].task_id, "archive", "tim.sakip1")
    bukti = " ".join(pdf_text(bukti_dukung(service, instance_id).pdf(), tmp_path).split())
    assert "BUKTI DUKUNG REVIU BERJENJANG" in bukti
    assert "return" in bukti and RETURN_NOTE in bukti and "Mohon diperbaiki" in bukti
    with service.db.unit_of_work(readonly=True) as uow:
        from sqlalchemy import select

        from workflow.adapters.models import DocumentVersion

        versions = list(uow.session.scalars(select(DocumentVersion).order_by(DocumentVersion.version)))
    assert [v.version for v in versions] == [1, 2] and versions[0].sha256 != versions[1].sha256
    packed = bukti.replace(" ", "")
    assert all(v.sha256 in packed for v in versions)  # both reviewed versions, with their hashes
    assert "tanda_tangan" in bukti and "sesuai" in bukti
    assert sha.group(1) in packed


@pytest.mark.parametrize("key", [s.key for s in REGISTRY.latest()])
def test_every_sop_sheet_renders(key: str, tmp_path: Path) -> None:
    spec = REGISTRY.get(key)
    text = " ".join(pdf_text(sop_sheet(spec).pdf(), tmp_path).split())
    assert spec.nama in text and "Uraian Prosedur" in text and spec.header.nomor.split()[0] in text


def test_the_nota_dinas_is_numbered_once_by_the_units_pattern_in_sequence(tmp_path: Path) -> None:
    from workflow.services.documents import nota_dinas, nota_dinas_number

    service, _perf = _site(tmp_path)
    first = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    second = service.start(S4, "kutorejo", "2024-TW2", "camat").instance_id
    year = service.clock().year  # numbered in the year the Nota Dinas is issued
    # The pattern comes from the Kabupaten in the org file; 416-307 is Kutorejo's code (002:1343).
    assert nota_dinas_number(service, second) == f"065/1/416-307/{year}"
    assert nota_dinas_number(service, first) == f"065/2/416-307/{year}"
    assert nota_dinas_number(service, second) == f"065/1/416-307/{year}"  # given once
    flat = " ".join(pdf_text(nota_dinas(service, first).pdf(), tmp_path).split())
    assert f"065/2/416-307/{year}" in flat and "NOTA DINAS" in flat
    assert "PEMERINTAH KABUPATEN MOJOKERTO KECAMATAN KUTOREJO" in flat  # the kop surat
    assert "Perihal : Pengukuran Data Kinerja Triwulan I Tahun 2024" in flat
    assert "Sri Wahyuni" in flat and "Rahmat Hidayat" in flat and "NIP. 197501012000031001" in flat
    assert all(" ".join(step.kegiatan.split()[:4]) in flat for step in REGISTRY.get(S4).steps)


def test_the_format_checklist_lists_a_kasis_indicators_with_targets_and_earlier_quarters(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from workflow.errors import NotFound
    from workflow.services.documents import format_checklist, format_pdf, format_xlsx

    service, perf = _site(tmp_path)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    advance_to(service, instance_id, "pengukuran_asn")
    _enter(service, perf, instance_id)
    data = format_checklist(service, "kutorejo", "2024-TW2", "kasi.pelayanan")
    assert [r["code"] for r in data["rows"]] == ["KL-1", "7.01.02.2.04", "7.01.02.2.04.02"]
    by_code = {r["code"]: r for r in data["rows"]}
    # Rencana Aksi (examples/kutorejo-2024.xlsx): 170 + 170 pelayanan s.d. TW II of 690; 4 + 5 laporan of 18.
    assert (by_code["7.01.02.2.04"]["target"], by_code["7.01.02.2.04"]["annual"]) == ("340", "690")
    assert (by_code["7.01.02.2.04.02"]["target"], by_code["7.01.02.2.04.02"]["annual"]) == ("9", "18")
    assert by_code["KL-1"]["earlier"] == {1: "402/402"}
    flat = " ".join(pdf_text(format_pdf(data).pdf(), tmp_path).split())
    assert "FORMAT / CHECKLIST DATA KINERJA" in flat and "TRIWULAN II TAHUN 2024" in flat
    assert "Nur Hasanah" in flat and "7.01.02.2.04.02" in flat and "Realisasi TW 2" in flat
    path = tmp_path / "format.xlsx"
    format_xlsx(data, path)
    sheet = load_workbook(path)["Format Data Kinerja"]
    assert [sheet.cell(r, 2).value for r in range(5, 8)] == ["KL-1", "7.01.02.2.04", "7.01.02.2.04.02"]
    assert sheet.cell(4, 8).value == "Realisasi TW II"
    with pytest.raises(NotFound):
        format_checklist(service, "kutorejo", "2024-TW2", "staf")  # answers for no indicator
