"""Bukti dukung uploads: checked for size and type, stored by content hash outside the web root.

A file is accepted only when its extension is one of ours *and* its first bytes are what that
extension promises (a PDF starts with `%PDF-`, a DOCX/XLSX is a ZIP holding
`[Content_Types].xml`, …). Executables are refused whatever they are called. The stored
name is the SHA-256 of the content, so the original name never reaches the file system.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from workflow.config import DEFAULT_UPLOAD_MAX_BYTES, Config
from workflow.domain.plaintext import control_problem
from workflow.errors import InvalidInput

DEFAULT_MAX_BYTES = DEFAULT_UPLOAD_MAX_BYTES
ALLOWED = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
NAME_MAX = 200  # characters of a file's name (the column holds 255)
FILES_MAX = 10  # bukti dukung files of one realisasi entry
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")


@dataclass(frozen=True)
class UploadSettings:
    directory: Path
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_config(cls, config: Config) -> UploadSettings:
        return cls(config.upload_dir, config.upload_max_bytes)

    @classmethod
    def from_env(cls) -> UploadSettings:
        """SAKIP_UPLOAD_DIR (default instance/uploads) and SAKIP_UPLOAD_MAX_MB (default 10)."""
        return cls.from_config(Config.from_env())


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def check_upload(filename: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedFile:
    """Refuse (InvalidInput, naming the field) a file that is empty, too big, or not what it claims."""
    name = os.path.basename(filename.replace("\\", "/")).strip()
    if not name:
        raise InvalidInput("bukti dukung: nama berkas kosong", code="evidence.no_name")
    if len(name) > NAME_MAX:  # checked before the name is repeated in any message
        raise InvalidInput(
            f"bukti dukung: nama berkas {_digits(len(name))} karakter melebihi batas {_digits(NAME_MAX)} karakter",
            code="evidence.name_too_long",
            length=_digits(len(name)),
            limit=_digits(NAME_MAX),
        )
    field = f"bukti dukung {name!r}"
    shown = repr(name)  # the `file` param: the name as the message quotes it
    if control_problem(name) is not None:  # it names the download: a header holds no control character
        raise InvalidInput(f"{field}: nama berkas memuat karakter kendali", code="evidence.control_in_name", file=shown)
    if not data:
        raise InvalidInput(f"{field}: berkas kosong", code="evidence.empty", file=shown)
    if len(data) > max_bytes:
        size, limit = (_digits(n) for n in (len(data), max_bytes))
        raise InvalidInput(
            f"{field}: {size} byte melebihi batas {limit} byte",
            code="evidence.too_large",
            file=shown,
            size=size,
            limit=limit,
        )
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        raise InvalidInput(
            f"{field}: jenis berkas {ext or '(tanpa ekstensi)'} tidak diizinkan; pakai PDF, JPG, PNG, XLSX atau DOCX",
            code="evidence.wrong_type",
            file=shown,
            ext=ext or "(tanpa ekstensi)",
        )
    if data.startswith(_EXECUTABLE_MAGIC):
        raise InvalidInput(f"{field}: isi berkas adalah program, bukan dokumen", code="evidence.program", file=shown)
    if not _content_matches(ext, data):
        raise InvalidInput(
            f"{field}: isi berkas tidak sesuai dengan jenis {ext}", code="evidence.wrong_content", file=shown, ext=ext
        )
    return CheckedFile(name, ALLOWED[ext], len(data), hashlib.sha256(data).hexdigest(), data)


def check_count(files: int) -> None:
    """Refuse (InvalidInput) more than FILES_MAX files for one realisasi entry."""
    if files > FILES_MAX:
        raise InvalidInput(
            f"bukti dukung: {_digits(files)} berkas melebihi batas {FILES_MAX} berkas per isian",
            code="evidence.too_many",
            count=_digits(files),
            limit=FILES_MAX,
        )


def _digits(number: int) -> str:
    """`10.485.760`: thousands grouped the Indonesian way."""
    return f"{number:,}".replace(",", ".")


def _content_matches(ext: str, data: bytes) -> bool:
    if ext == ".pdf":
        return data.startswith(b"%PDF-")
    if ext == ".png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in (".jpg", ".jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    # .xlsx / .docx: a ZIP package with its content-type part, and no macros.
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except zipfile.BadZipFile:
        return False
    main = "xl/workbook.xml" if ext == ".xlsx" else "word/document.xml"
    return "[Content_Types].xml" in names and main in names and not any("vbaproject" in n.lower() for n in names)


def store(settings: UploadSettings, checked: CheckedFile) -> tuple[Path, bool]:
    """Write the file under its hash (once); return its path and whether this call created it."""
    target = settings.directory / checked.sha256[:2] / checked.sha256
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    # A private temporary name: two uploads of the same file at once each write their own.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(checked.data)
    os.replace(temporary, target)
    return target, True


def stored_path(settings: UploadSettings, sha256: str) -> Path:
    return settings.directory / sha256[:2] / sha256
