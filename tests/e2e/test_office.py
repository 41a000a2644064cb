"""The Word and Excel documents, written by the `sakip doc` commands and opened by a reader we did
not write: LibreOffice headless (Debian libreoffice-writer and libreoffice-calc) converts each DOCX
to PDF and each XLSX to CSV, and the converted text must hold the expected content."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from helpers import S4
from test_cli import sakip
from test_documents import REGISTRY, _site, cycle_with_one_return, pdf_text

from workflow.errors import InvalidInput
from workflow.services.documents import laporan, nota_dinas

MONTHS = "Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember"


@pytest.fixture(autouse=True)
def no_office_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty template folder: the defaults apply unless a test saves an office's own copy."""
    folder = tmp_path / "templates"
    folder.mkdir()
    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", str(folder))
    return folder


def office_convert(files: list[Path], target: str, outdir: Path) -> list[Path]:
    """Convert FILES with LibreOffice headless; each must come out, non-empty."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        from conftest import missing_service

        missing_service("LibreOffice is not installed (Debian libreoffice-writer, libreoffice-calc)")
        raise AssertionError("unreachable")
    profile = outdir / "lo-profile"
    args = [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to", target, "--outdir", str(outdir), *map(str, files)]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout, result.stderr)
    extension = target.split(":")[0]
    converted = [outdir / f"{path.stem}.{extension}" for path in files]
    for path in converted:
        assert path.is_file() and path.stat().st_size > 0, (path, result.stdout, result.stderr)
    return converted


def flat(text: str) -> str:
    return " ".join(text.split())


def csv_text(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as f:
        return flat(" ".join(" ".join(row) for row in csv.reader(f)))


def test_the_s4_word_sheet_opens_in_libreoffice_with_all_eleven_steps_and_the_bagan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    docx = out / "sop-s4.docx"
    sakip("doc", "sop", S4, "--version", "1", "--format", "docx", "-o", str(docx))
    with zipfile.ZipFile(docx) as archive:
        pictures = [n for n in archive.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    assert len(pictures) == 1  # the bagan alur, drawn from the definition
    (pdf,) = office_convert([docx], "pdf", out)
    text = flat(pdf_text(pdf.read_bytes(), tmp_path))
    spec = REGISTRY.get(S4, 1)
    assert "065/ 520 /416-307/2023" in text and "14 September 2023" in text  # 002:1373-1376
    headings = ["Dasar Hukum", "Kualifikasi Pelaksana", "Keterkaitan", "Peralatan / Perlengkapan", "Peringatan",
                "Pencatatan dan Pendataan", "Uraian Prosedur", "Mutu Baku", "Bagan Alur"]  # fmt: skip
    for heading in headings:
        assert heading in text, heading
    for role in spec.roles:  # one Pelaksana column per executor role
        assert flat(role.column) in text, role.column
    positions = []
    for step in spec.steps:
        start = " ".join(step.kegiatan.split()[:4])
        assert start in text, step.no
        positions.append(text.index(start))
        if step.waktu is not None:
            assert step.waktu.printed in text
        if step.output:
            assert " ".join(step.output.split()[:3]) in text
    assert positions == sorted(positions) and len(positions) == 11  # 002:1390-1401, in order
    assert "Ya: lanjut; Tidak: kembali ke langkah 7" in text  # the sekcam's review returns to the rekap


def test_a_cycles_word_and_excel_documents_from_the_cli_open_in_libreoffice(tmp_path: Path) -> None:
    service, perf = _site(tmp_path)
    db = str(service.db.engine.url)
    instance_id = cycle_with_one_return(service, perf)

    out = tmp_path / "out"
    out.mkdir()
    draft = out / "laporan-draf.docx"
    sakip("doc", "laporan", str(instance_id), "--format", "docx", "-o", str(draft), db=db)
    service.act(service.status(instance_id).waiting_on[0].task_id, "approve", "sekcam")
    service.act(service.status(instance_id).waiting_on[0].task_id, "sign", "camat")
    final, nota = out / "laporan-final.docx", out / "nota-dinas.docx"
    sakip("doc", "laporan", str(instance_id), "--format", "docx", "-o", str(final), db=db)
    sakip("doc", "nota-dinas", str(instance_id), "--format", "docx", "-o", str(nota), db=db)
    fmt, rekap = out / "format-kasi-pelayanan.xlsx", out / "kertas-kerja.xlsx"
    sakip("doc", "format", "--unit", "kutorejo", "--period", "2024-TW1", "--as", "kasi.pelayanan",
          "--format", "xlsx", "-o", str(fmt), db=db)  # fmt: skip
    sakip("doc", "rekap", "--unit", "kutorejo", "--period", "2024-TW1", "--format", "xlsx", "-o", str(rekap), db=db)

    draft_pdf, final_pdf, nota_pdf = office_convert([draft, final, nota], "pdf", out)
    fmt_csv, rekap_csv = office_convert([fmt, rekap], "csv:Text - txt - csv (StarCalc):44,34,76", out)

    text = flat(pdf_text(draft_pdf.read_bytes(), tmp_path))
    assert "DRAF" in text and "Rahmat Hidayat" in text  # the Camat who would sign (org file)

    text = flat(pdf_text(final_pdf.read_bytes(), tmp_path))
    assert "DRAF" not in text and "FINAL" in text
    assert "LAPORAN HASIL PENGUKURAN DATA KINERJA" in text and "KECAMATAN KUTOREJO" in text
    assert "PERIODE TRIWULAN I TAHUN 2024" in text
    assert "102,76%" in text  # IKM 92,85 against 90,36 (002:440)
    assert "400/402" in text and "99,50%" in text  # the corrected KL-1
    assert "Koreksi" in text  # the shortfall is explained from the entered note
    assert "NIP. 197501012000031001" in text and "Pembina Tk. I (IV/b)" in text
    assert "ditandatangani secara elektronik" in text
    sha = re.search(r"SHA-256 dokumen: ([0-9a-f]{64})", text)
    assert sha is not None  # the same hash as the PDF's, which is the signed content's
    assert sha.group(1) in flat(pdf_text(laporan(service, instance_id).pdf(), tmp_path))

    text = flat(pdf_text(nota_pdf.read_bytes(), tmp_path))
    assert "PEMERINTAH KABUPATEN MOJOKERTO" in text and "NOTA DINAS" in text
    year = service.status(instance_id).started_at.year  # the service runs on the real clock
    assert f"065/1/416-307/{year}" in text  # the org file's nota_dinas_pattern, first of the year
    assert re.search(rf"Tanggal : \d{{1,2}} ({MONTHS}) {year}", text)
    assert "Sri Wahyuni" in text and "Perihal : Pengukuran Data Kinerja Triwulan I Tahun 2024" in text
    for step in REGISTRY.get(S4, 2).steps:
        assert " ".join(step.kegiatan.split()[:4]) in text, step.no
    assert "Rahmat Hidayat, S.STP., M.Si." in text and "NIP. 197501012000031001" in text

    text = csv_text(fmt_csv)
    assert "FORMAT DATA KINERJA TRIWULAN I TAHUN 2024" in text and "KL-1" in text
    assert "Realisasi TW I" in text
    text = csv_text(rekap_csv)
    assert "KERTAS KERJA PENGUKURAN DATA KINERJA" in text and "KL-1" in text
    assert re.search(r"102[.,]76", text)  # IKM's capaian (002:440), a number in the sheet


def test_an_offices_own_word_template_is_used_and_a_broken_one_is_refused_clearly(
    tmp_path: Path, no_office_templates: Path
) -> None:
    service, _ = _site(tmp_path)
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    default = nota_dinas(service, instance_id).docx()

    def save_letterhead(folder: Path, address: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        document = Document(
            str(Path(__file__).resolve().parents[2] / "workflow/services/doc_templates/nota_dinas.docx")
        )
        paragraph = next(p for p in document.paragraphs if "{{ kop_alamat }}" in p.text)
        paragraph.runs[0].text = address
        document.save(str(folder / "nota_dinas.docx"))

    # The Kabupaten's letterhead serves every Kecamatan under it; a Kecamatan's own copy wins.
    save_letterhead(no_office_templates / "mojokerto", "Jl. Kabupaten No. 1, Mojokerto")
    out = tmp_path / "kab.docx"
    out.write_bytes(nota_dinas(service, instance_id).docx())
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "Jl. Kabupaten No. 1, Mojokerto" in text and "KECAMATAN KUTOREJO" in text
    save_letterhead(no_office_templates / "kutorejo", "Jl. Raya Kutorejo No. 12, Telp. (0321) 123456")
    out.write_bytes(nota_dinas(service, instance_id).docx())
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "Jl. Raya Kutorejo No. 12" in text and "Jl. Kabupaten" not in text
    assert out.read_bytes() != default

    own = no_office_templates / "kutorejo" / "nota_dinas.docx"
    good = own.read_bytes()
    for field, reason in (
        ("{{ nomor ", "a field is broken near line"),
        ("{{ 1/0 }}", "a field cannot be filled: division by zero"),
        ("{{ ''.__class__.__mro__ }}", "a field is not allowed"),  # sandboxed: no way into Python
    ):
        broken = Document(str(own))
        broken.add_paragraph(field)
        broken.save(str(own))
        with pytest.raises(InvalidInput, match=rf"^Word template kutorejo/nota_dinas\.docx: {re.escape(reason)}"):
            nota_dinas(service, instance_id).docx()
        own.write_bytes(good)
    (no_office_templates / "kutorejo" / "nota_dinas.docx").write_bytes(b"not a zip")
    target = tmp_path / "never.docx"
    refused = sakip("doc", "nota-dinas", str(instance_id), "--format", "docx", "-o", str(target),
                    db=str(service.db.engine.url), expect=5)  # fmt: skip
    assert "not a Word document" in refused.stderr and not target.exists()


def test_doc_templates_writes_the_defaults_to_edit_and_keeps_what_is_there(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    first = sakip("doc", "templates", "-o", str(folder)).stdout
    assert sorted(p.name for p in folder.iterdir()) == ["laporan.docx", "nota_dinas.docx", "sop_sheet.docx"]
    assert first.count("written") == 3
    (folder / "laporan.docx").write_bytes(b"edited")
    again = sakip("doc", "templates", "-o", str(folder)).stdout
    assert again.count("kept") == 3 and (folder / "laporan.docx").read_bytes() == b"edited"
    refused = sakip("doc", "templates", "-o", str(folder / "laporan.docx"), expect=2)  # a usage error
    assert "is a file" in refused.stderr and "Traceback" not in refused.stderr
