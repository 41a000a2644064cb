"""Bukti dukung uploads: accepted only when the name and the first bytes agree; stored once, by hash."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from workflow.adapters.evidence import (
    DEFAULT_MAX_BYTES,
    UploadSettings,
    check_upload,
    store,
    stored_path,
)
from workflow.errors import InvalidInput

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _png() -> bytes:
    """A real 1×1 grey PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["Indikator", "Target", "Realisasi"])
    book.active.append(["Nonperizinan", 500, 3162])  # 001:631
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, body in parts.items():
            package.writestr(name, body)
    return out.getvalue()


def _with_part(package: bytes, name: str) -> bytes:
    out = io.BytesIO(package)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr(name, b"\xd0\xcf\x11\xe0 macro")
    return out.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", "_rels/.rels": b"<R/>"})


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("LHE AKIP 2024.pdf", PDF, "application/pdf"),
        ("foto-monev.png", _png(), "image/png"),
        ("foto-monev.JPG", JPEG, "image/jpeg"),
        ("foto-monev.jpeg", JPEG, "image/jpeg"),
        ("E-81 TW IV.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("nota dinas.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_a_document_whose_content_matches_its_name_is_accepted(filename: str, data: bytes, content_type: str) -> None:
    checked = check_upload(filename, data)
    assert checked.filename == filename
    assert checked.content_type == content_type
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.data == data


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("laporan.docx", _xlsx()),  # a ZIP package, but no word/document.xml
        ("laporan.xlsx", DOCX),  # no xl/workbook.xml
        ("laporan.docx", _zip({"word/document.xml": b"<w:document/>"})),  # no [Content_Types].xml
        ("laporan.xlsx", b"PK\x03\x04 truncated, not a zip"),
        ("laporan.pdf", _png()),
        ("laporan.png", PDF),
        ("laporan.jpg", _png()),
        ("laporan.pdf", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_a_file_whose_content_does_not_match_its_name_is_refused(filename: str, data: bytes) -> None:
    with pytest.raises(InvalidInput, match=f"^bukti dukung '{re.escape(filename)}': isi berkas tidak sesuai"):
        check_upload(filename, data)


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("laporan.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"),  # a Windows program renamed
        ("foto.png", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8),
        ("laporan.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("rekap.xlsx", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"),  # Mach-O
    ],
)
def test_a_program_is_refused_whatever_it_is_called(filename: str, data: bytes) -> None:
    with pytest.raises(InvalidInput, match=f"^bukti dukung '{re.escape(filename)}': isi berkas adalah program"):
        check_upload(filename, data)


@pytest.mark.parametrize("filename", ["setup.exe", "laporan.html", "laporan.pdf.exe", "laporan", "rekap.xlsm"])
def test_a_file_type_we_do_not_take_is_refused_even_with_a_harmless_body(filename: str) -> None:
    with pytest.raises(InvalidInput, match=f"^bukti dukung '{re.escape(filename)}': jenis berkas .* tidak diizinkan"):
        check_upload(filename, PDF)


def test_an_empty_file_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="^bukti dukung 'kosong.pdf': berkas kosong"):
        check_upload("kosong.pdf", b"")


def test_a_file_over_the_limit_is_refused_naming_it_and_one_at_the_limit_is_not() -> None:
    assert check_upload("lkjip.pdf", PDF, max_bytes=len(PDF)).size == len(PDF)
    with pytest.raises(InvalidInput, match="^bukti dukung 'lkjip.pdf': .* melebihi batas"):
        check_upload("lkjip.pdf", PDF, max_bytes=len(PDF) - 1)
    with pytest.raises(InvalidInput, match="^bukti dukung 'lkjip.pdf': 10.485.761 byte melebihi batas 10.485.760 byte"):
        check_upload("lkjip.pdf", PDF + b"\x00" * (DEFAULT_MAX_BYTES + 1 - len(PDF)))


def test_the_size_refusal_keeps_the_files_own_name() -> None:
    # Thousands get dots in the message; the file's name must not.
    with pytest.raises(InvalidInput, match=r"^bukti dukung 'LKjIP 2023, final\.pdf': "):
        check_upload("LKjIP 2023, final.pdf", PDF, max_bytes=10)


@pytest.mark.parametrize(
    ("filename", "package"),
    [
        ("rekap.xlsx", _with_part(_xlsx(), "xl/vbaProject.bin")),
        ("nota.docx", _with_part(DOCX, "word/vbaProject.bin")),
    ],
)
def test_an_office_file_with_macros_is_refused(filename: str, package: bytes) -> None:
    with pytest.raises(InvalidInput, match=f"^bukti dukung '{re.escape(filename)}': "):
        check_upload(filename, package)


def test_a_macro_part_is_refused_whatever_its_letter_case() -> None:
    # OPC part names compare case-insensitively (ECMA-376 Part 2), so this is the same macro part.
    with pytest.raises(InvalidInput, match="^bukti dukung 'rekap.xlsx': "):
        check_upload("rekap.xlsx", _with_part(_xlsx(), "xl/VBAPROJECT.BIN"))


@pytest.mark.parametrize(
    "filename",
    ["../../etc/x.pdf", "/var/www/x.pdf", "..\\..\\windows\\x.pdf", "C:\\Users\\camat\\Desktop\\x.pdf", "  x.pdf  "],
)
def test_path_components_in_the_name_are_dropped(filename: str) -> None:
    assert check_upload(filename, PDF).filename == "x.pdf"


@pytest.mark.parametrize("filename", ["", "   ", "../../", "uploads/"])
def test_a_name_with_no_file_part_is_refused(filename: str) -> None:
    with pytest.raises(InvalidInput, match="^bukti dukung: nama berkas kosong"):
        check_upload(filename, PDF)


def test_a_name_longer_than_200_characters_is_refused_without_repeating_it() -> None:
    assert check_upload("a" * 196 + ".png", _png()).filename == "a" * 196 + ".png"  # 200: at the limit
    for stem in ("a" * 197, "a" * 300_000):
        with pytest.raises(InvalidInput) as refused:
            check_upload(stem + ".png", _png())
        given = f"{len(stem) + 4:,}".replace(",", ".")
        assert str(refused.value) == f"bukti dukung: nama berkas {given} karakter melebihi batas 200 karakter"


def test_store_writes_the_file_under_its_hash_once(tmp_path: Path) -> None:
    settings = UploadSettings(tmp_path / "uploads")
    checked = check_upload("../../LHE AKIP.pdf", PDF)
    sha = hashlib.sha256(PDF).hexdigest()

    path, created = store(settings, checked)
    assert created is True
    assert path == tmp_path / "uploads" / sha[:2] / sha == stored_path(settings, sha)
    assert path.read_bytes() == PDF
    assert sorted(p.name for p in (tmp_path / "uploads").rglob("*")) == sorted([sha[:2], sha])  # no .part left

    again, created_again = store(settings, check_upload("salinan.pdf", PDF))
    assert (again, created_again) == (path, False)
    assert path.read_bytes() == PDF

    other, created_other = store(settings, check_upload("foto.png", _png()))
    assert created_other is True and other != path and other.read_bytes() == _png()


def test_store_does_not_rewrite_a_file_already_there(tmp_path: Path) -> None:
    settings = UploadSettings(tmp_path)
    path, _ = store(settings, check_upload("x.pdf", PDF))
    before = path.stat()
    assert store(settings, check_upload("x.pdf", PDF)) == (path, False)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not replaced, not rewritten


def test_upload_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAKIP_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setenv("SAKIP_UPLOAD_MAX_MB", "0.5")
    assert UploadSettings.from_env() == UploadSettings(tmp_path, 512 * 1024)
    monkeypatch.delenv("SAKIP_UPLOAD_MAX_MB")
    assert UploadSettings.from_env().max_bytes == DEFAULT_MAX_BYTES == 10 * 1024 * 1024
