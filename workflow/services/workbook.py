"""XLSX import of the plan tree, indicators and targets, and XLSX export of the rekap.

One workbook per unit and year. Every sheet is optional; the sheets we read (names are matched
without regard to case):

- **Pohon Kinerja**: Tingkat | Kode | Nama | Induk
- **Indikator**: Kode | Indikator | Induk | Satuan | Jenis | Arah | Agregasi | Skala |
  Sumber Eksternal | Penanggung Jawab | Sumber Data | Formulasi | Min | Maks | Penyerapan Anggaran
- **PK**, **PK Perubahan**, **Renstra** (the PK layout): Kode | Indikator | Target
- **Rencana Aksi**: Kode | Indikator | Target Tahunan | TW I | TW II | TW III | TW IV

The import is all or nothing: every bad row is reported with its sheet, row number, field and
reason, and nothing is written while any row is bad. A sheet whose targets equal the newest
version on file adds nothing; otherwise it becomes the next version of that target set.

A file that is not a readable workbook, is larger than MAX_FILE_BYTES (MAX_UNPACKED_BYTES
unpacked) or has more than MAX_SCANNED_ROWS rows in a sheet is refused as a whole; columns after
MAX_COLUMNS are not read.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters import repository
from workflow.adapters.db import Database
from workflow.adapters.models import DataEvent, Indicator, Person, PlanNode, Realisasi, Target, TargetSet, Unit
from workflow.domain.indicators import (
    NODE_KINDS,
    TARGET_KIND_LABELS,
    IndicatorError,
    IndicatorRule,
    check_quarterly,
    read_target,
    target_from_number,
)
from workflow.domain.limits import NOTE_MAX, SHORT_MAX, too_long
from workflow.domain.localtime import utcnow
from workflow.domain.numbers import parse_number
from workflow.domain.plaintext import control_problem
from workflow.domain.roles import ROLES, ROLES_WITH_SEKSI, SEKSI
from workflow.domain.rules import may_import
from workflow.errors import InvalidInput, NotAllowed
from workflow.services.measurement import latest_set, rule_of
from workflow.services.org import holdings

MAX_ROWS = 5000
MAX_SCANNED_ROWS = 50_000  # empty rows included: a sheet may claim a million of them
MAX_COLUMNS = 64
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
NODE_RANK = {"tujuan": 0, "sasaran": 1, "kinerja_lainnya": 1, "program": 2, "kegiatan": 3, "sub_kegiatan": 4}
CODE_PARTS = {"program": 3, "kegiatan": 5, "sub_kegiatan": 6}
KIND_WORDS = {
    "tujuan": "tujuan", "sasaran": "sasaran",
    "kinerja lainnya": "kinerja_lainnya", "kinerja_lainnya": "kinerja_lainnya",
    "program": "program", "kegiatan": "kegiatan", "sub kegiatan": "sub_kegiatan", "sub_kegiatan": "sub_kegiatan",
}  # fmt: skip
JENIS_WORDS = {
    "angka": "numeric", "numeric": "numeric", "jumlah": "numeric", "indeks": "numeric",
    "persentase": "percentage", "persen": "percentage", "percentage": "percentage",
    "rasio": "ratio", "ratio": "ratio",
    "huruf": "grade", "nilai huruf": "grade", "grade": "grade",
}  # fmt: skip
ARAH_WORDS = {"positif": "positive", "positive": "positive", "negatif": "negative", "negative": "negative"}
AGREGASI_WORDS = {
    "kumulatif": "cumulative", "cumulative": "cumulative", "jumlah": "sum", "sum": "sum",
    "terakhir": "last", "last": "last", "rata-rata": "average", "rata rata": "average", "average": "average",
}  # fmt: skip
YES = {"ya", "y", "yes", "true", "1", "x"}
NO = {"", "tidak", "t", "no", "false", "0", "-"}
TARGET_SHEETS = {"pk": "pk", "pk perubahan": "pk_perubahan", "renstra": "renstra", "rencana aksi": "rencana_aksi"}
QUARTER_HEADERS = {
    1: ("tw i", "tw 1", "tw1", "triwulan i"),
    2: ("tw ii", "tw 2", "tw2", "triwulan ii"),
    3: ("tw iii", "tw 3", "tw3", "triwulan iii"),
    4: ("tw iv", "tw 4", "tw4", "triwulan iv"),
}
# The longest text each column takes, as written in the cell (the database column it is stored
# in: workflow/adapters/models.py), and whether it may span lines. A longer cell, or one holding a control
# character, is a bad row; nothing is parsed from it.
TARGET_TYPED_MAX = 100  # a target as typed, `82 (Tinggi)`; stored canonical in TARGET_MAX
TARGET_MAX = 40  # Target.annual, .tw1..tw4
NODE_CELLS = {"tingkat": (32, False), "kode": (64, False), "nama": (500, True), "induk": (64, False)}
INDICATOR_CELLS = {
    "kode": (64, False), "indikator": (500, True), "induk": (64, False), "satuan": (64, False),
    "jenis": (32, False), "arah": (32, False), "agregasi": (32, False), "skala": (32, False),
    "sumber eksternal": (64, False), "penanggung jawab": (1 + SHORT_MAX, False), "sumber data": (NOTE_MAX, True),
    "formulasi": (NOTE_MAX, True), "min": (40, False), "maks": (40, False), "penyerapan anggaran": (32, False),
}  # fmt: skip
TARGET_CELLS = {
    "kode": (64, False), "indikator": (500, True), "target": (TARGET_TYPED_MAX, False),
    "target tahunan": (TARGET_TYPED_MAX, False),
    **{header: (TARGET_TYPED_MAX, False) for headers in QUARTER_HEADERS.values() for header in headers},
}  # fmt: skip


class ImportErrors(InvalidInput):
    """Every bad row of a workbook; nothing was written."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = " | ".join(errors[:5])
        super().__init__(
            f"{len(errors)} baris bermasalah; tidak ada yang disimpan: {shown}",
            code="import.rows",
            count=len(errors),
            shown=shown,
        )


@dataclass
class ImportReport:
    unit: str
    year: int
    nodes_created: int = 0
    nodes_updated: int = 0
    indicators_created: int = 0
    indicators_updated: int = 0
    target_sets: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().casefold()


def _cell(cell: Cell | Any) -> str | Decimal | None:
    """A cell's content: text as typed, a number as an exact Decimal (a % format counts in percent)."""
    value = getattr(cell, "value", cell)
    if value is None:
        return None
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in str(getattr(cell, "number_format", "")):
            number *= 100
        return number.normalize() if number == number.to_integral_value() else number
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _text(value: str | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


@dataclass
class _Sheet:
    title: str
    header: dict[str, int]
    rows: list[tuple[int, list[str | Decimal | None]]]

    def get(self, row: list[str | Decimal | None], *names: str) -> str | Decimal | None:
        for name in names:
            index = self.header.get(name)
            if index is not None and index < len(row):
                return row[index]
        return None


def _read_sheets(path: Path) -> dict[str, _Sheet]:
    """The sheets with a `Kode` header; InvalidInput for a file that cannot be read as a workbook."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(
            f"file: {path.name} tidak dapat dibaca ({exc.strerror})",
            code="file.unreadable",
            file=path.name,
            reason=exc.strerror,
        ) from None
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            f"file: {path.name} lebih dari {MAX_FILE_BYTES // (1024 * 1024)} MB",
            code="file.too_large",
            file=path.name,
            mb=MAX_FILE_BYTES // (1024 * 1024),
        )
    try:
        with path.open("rb") as handle:
            with zipfile.ZipFile(handle) as package:  # the sizes it declares; reading never goes past them
                unpacked = sum(info.file_size for info in package.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise InvalidInput(
                    f"file: {path.name} lebih dari {MAX_UNPACKED_BYTES // (1024 * 1024)} MB setelah dibuka",
                    code="file.too_large_unpacked",
                    file=path.name,
                    mb=MAX_UNPACKED_BYTES // (1024 * 1024),
                )
            handle.seek(0)
            book = load_workbook(handle, read_only=True, data_only=True)
            try:
                return _sheets_of(book)
            finally:
                book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged package fails deep inside zipfile, XML parsers or openpyxl
        reason = " ".join(str(exc).split())[:100] or type(exc).__name__
        raise InvalidInput(
            f"file: {path.name} bukan berkas XLSX yang dapat dibaca ({reason})",
            code="file.not_xlsx",
            file=path.name,
            reason=reason,
        ) from None


def _sheets_of(book: Workbook) -> dict[str, _Sheet]:
    sheets: dict[str, _Sheet] = {}
    for ws in book.worksheets:
        header_row: list[str] = []
        header_line = 0
        data: list[tuple[int, list[str | Decimal | None]]] = []
        for number, cells in enumerate(ws.iter_rows(max_col=MAX_COLUMNS), start=1):
            if number > MAX_SCANNED_ROWS:
                raise InvalidInput(
                    f"{ws.title}: lebih dari {MAX_SCANNED_ROWS} baris (termasuk baris kosong)",
                    code="sheet.too_many_scanned",
                    sheet=ws.title,
                    rows=MAX_SCANNED_ROWS,
                )
            values = [_cell(c) for c in cells]
            if not header_row:
                if any(isinstance(v, str) and _norm(v) == "kode" for v in values):
                    header_row = [_norm(_text(v)) for v in values]
                    header_line = number
                continue
            if all(v is None for v in values):
                continue
            data.append((number, values))
            if len(data) > MAX_ROWS:
                raise InvalidInput(
                    f"{ws.title}: lebih dari {MAX_ROWS} baris",
                    code="sheet.too_many_rows",
                    sheet=ws.title,
                    rows=MAX_ROWS,
                )
        if header_line:
            sheets[_norm(ws.title)] = _Sheet(ws.title, {h: i for i, h in enumerate(header_row) if h}, data)
    return sheets


def _cell_problems(sheet: _Sheet, row: list[str | Decimal | None], limits: dict[str, tuple[int, bool]]) -> list[str]:
    """Why cells of ROW may not be read (too long for their column, or a control character), one each."""
    problems = []
    for header, (limit, multiline) in limits.items():
        index = sheet.header.get(header)
        if index is None or index >= len(row):
            continue
        text = _text(row[index])
        problem = too_long(text, limit) or control_problem(text, multiline=multiline)
        if problem is not None:
            problems.append(f"{header}: {problem}")
    return problems


def _parent_ok(kind: str, code: str, parent: PlanNode | _NodeRow | None) -> str | None:
    if kind in CODE_PARTS:
        parts = code.split(".")
        if len(parts) != CODE_PARTS[kind] or not all(p.isdigit() for p in parts):
            example = {"program": "7.01.01", "kegiatan": "7.01.01.2.01", "sub_kegiatan": "7.01.01.2.01.07"}[kind]
            return f"kode: {code!r} bukan kode {kind.replace('_', ' ')} ({CODE_PARTS[kind]} bagian, misalnya {example})"
    if parent is None:
        return None if kind in ("tujuan", "sasaran", "kinerja_lainnya") else "induk: wajib diisi untuk tingkat ini"
    if NODE_RANK[parent.kind] >= NODE_RANK[kind]:
        return f"induk: {parent.code} ({parent.kind}) tidak dapat membawahi {kind}"
    if parent.kind in ("program", "kegiatan") and not code.startswith(parent.code + "."):
        return f"kode: {code} tidak berada di bawah kode induknya {parent.code}"
    return None


@dataclass
class _NodeRow:
    code: str
    kind: str
    name: str
    parent: str | None


@dataclass
class _IndicatorRow:
    code: str
    name: str
    node: str
    satuan: str
    rule: IndicatorRule
    external_source: str | None
    owner_role: str | None
    owner_seksi: str | None
    owner_person_id: int | None
    sumber_data: str | None
    formulation: str | None
    penyerapan: bool
    position: int


@dataclass
class _TargetRow:
    code: str
    annual: str
    quarters: dict[int, str | None]


def import_workbook(
    db: Database,
    path: Path,
    unit_code: str,
    year: int,
    username: str,
    clock: Callable[[], datetime] = utcnow,
) -> ImportReport:
    """Read PATH and write it for UNIT_CODE and YEAR in one transaction; ImportErrors if any row is bad."""
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"year: {year} di luar rentang 2000-2100", code="import.year_out_of_range", year=year)
    sheets = _read_sheets(path)
    known = set(TARGET_SHEETS) | {"pohon kinerja", "indikator"}
    if not sheets.keys() & known:
        raise InvalidInput(
            f"file: {path.name} tidak memuat sheet Pohon Kinerja, Indikator, PK, PK Perubahan, "
            "Renstra atau Rencana Aksi",
            code="file.no_known_sheet",
            file=path.name,
        )
    now = clock()
    with db.unit_of_work() as uow:
        s = uow.session
        person = repository.person(s, username)
        unit = repository.unit(s, unit_code)
        if not may_import(holdings(s, person.id, now), unit.id, person.is_admin):
            raise NotAllowed(
                f"user {username!r} may not import data for {unit_code}",
                code="import.not_allowed",
                user=username,
                unit=unit_code,
            )
        report = ImportReport(unit=unit.code, year=year)
        errors: list[str] = []
        for title in sheets.keys() - known:
            report.warnings.append(f"sheet {sheets[title].title!r} tidak dikenal dan dilewati")
        nodes_on_file = {
            n.code: n for n in s.scalars(select(PlanNode).where(PlanNode.unit_id == unit.id, PlanNode.year == year))
        }
        node_rows = _parse_nodes(sheets.get("pohon kinerja"), nodes_on_file, errors)
        node_codes = set(nodes_on_file) | {n.code for n in node_rows}
        indicators_on_file = {
            i.code: i for i in s.scalars(select(Indicator).where(Indicator.unit_id == unit.id, Indicator.year == year))
        }
        indicator_rows = _parse_indicators(s, sheets.get("indikator"), node_codes, errors)
        rules = {code: _rule_of(i) for code, i in indicators_on_file.items()}
        rules.update({r.code: r.rule for r in indicator_rows})
        names = {code: i.name for code, i in indicators_on_file.items()} | {r.code: r.name for r in indicator_rows}
        measured = {
            code
            for (code,) in s.execute(
                select(Indicator.code)
                .join(Realisasi, Realisasi.indicator_id == Indicator.id)
                .where(Indicator.unit_id == unit.id, Indicator.year == year)
            ).all()
        }
        for row in indicator_rows:
            old = indicators_on_file.get(row.code)
            if old is not None and row.code in measured and _rule_of(old) != row.rule:
                errors.append(
                    f"Indikator: {row.code}: jenis, arah, agregasi atau skala tidak dapat diubah setelah ada realisasi"
                )
        target_rows: dict[str, list[_TargetRow]] = {}
        for title, kind in TARGET_SHEETS.items():
            if title in sheets:
                target_rows[kind] = _parse_targets(sheets[title], kind, rules, names, errors, report.warnings)
        if errors:
            raise ImportErrors(errors)
        _write(
            s,
            unit,
            year,
            person,
            node_rows,
            nodes_on_file,
            indicator_rows,
            indicators_on_file,
            target_rows,
            report,
            now,
        )
        s.add(
            DataEvent(
                at=now, actor_id=person.id, actor=person.username, unit_id=unit.id, action="import",
                subject=f"{path.name} ({year})", note="; ".join(report.target_sets) or None, payload=report.as_json(),
            )
        )  # fmt: skip
        uow.commit()
        return report


def _rule_of(indicator: Indicator) -> IndicatorRule:
    return rule_of(indicator)


def _parse_nodes(sheet: _Sheet | None, on_file: dict[str, PlanNode], errors: list[str]) -> list[_NodeRow]:
    if sheet is None:
        return []
    _require(sheet, ("tingkat", "kode", "nama"), errors)
    rows: list[_NodeRow] = []
    seen: dict[str, _NodeRow] = {}
    for number, values in sheet.rows:
        where = f"{sheet.title} baris {number}"
        too_much = _cell_problems(sheet, values, NODE_CELLS)
        if too_much:
            errors.extend(f"{where}: {p}" for p in too_much)
            continue
        kind = KIND_WORDS.get(_norm(_text(sheet.get(values, "tingkat"))))
        code = _text(sheet.get(values, "kode")).strip()
        name = _text(sheet.get(values, "nama")).strip()
        parent_code = _text(sheet.get(values, "induk")).strip() or None
        if kind is None:
            errors.append(
                f"{where}: tingkat: harus salah satu dari {', '.join(k.replace('_', ' ') for k in NODE_KINDS)}"
            )
            continue
        if not code:
            errors.append(f"{where}: kode: wajib diisi")
            continue
        if not name:
            errors.append(f"{where}: nama: wajib diisi")
            continue
        if code in seen:
            errors.append(f"{where}: kode: {code} sudah ada di baris sebelumnya")
            continue
        parent: PlanNode | _NodeRow | None = None
        if parent_code is not None:
            parent = seen.get(parent_code) or on_file.get(parent_code)
            if parent is None:
                errors.append(f"{where}: induk: {parent_code} tidak ada (tulis induk di baris sebelumnya)")
                continue
        problem = _parent_ok(kind, code, parent)
        if problem:
            errors.append(f"{where}: {problem}")
            continue
        row = _NodeRow(code, kind, name, parent_code)
        seen[code] = row
        rows.append(row)
    return rows


def _require(sheet: _Sheet, names: Iterable[str], errors: list[str]) -> None:
    for name in names:
        if name not in sheet.header:
            errors.append(f"{sheet.title}: kolom {name!r} tidak ada")


def _parse_owner(s: Session, text: str) -> tuple[str | None, str | None, int | None, str | None]:
    """`kasi.pelayanan`, `tim_sakip` or `@username` -> (role, seksi, person_id, problem)."""
    text = text.strip()
    if not text:
        return None, None, None, "penanggung jawab: wajib diisi (jabatan seperti kasi.pelayanan, atau @username)"
    if text.startswith("@"):
        person = s.scalar(select(Person).where(Person.username == text[1:]))
        if person is None:
            return None, None, None, f"penanggung jawab: pengguna {text[1:]!r} tidak dikenal"
        return None, None, person.id, None
    role, _, seksi = text.partition(".")
    if role not in ROLES:
        return None, None, None, f"penanggung jawab: jabatan {role!r} tidak dikenal ({', '.join(ROLES)})"
    if role in ROLES_WITH_SEKSI and seksi not in SEKSI:
        return (
            None,
            None,
            None,
            f"penanggung jawab: {role} memerlukan seksi ({', '.join(SEKSI)}), misalnya {role}.pelayanan",
        )
    if role not in ROLES_WITH_SEKSI and seksi:
        return None, None, None, f"penanggung jawab: {role} tidak dibagi per seksi"
    return role, seksi or None, None, None


def _decimal_or_none(value: str | Decimal | None, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    return parse_number(value, field)


def _parse_indicators(s: Session, sheet: _Sheet | None, node_codes: set[str], errors: list[str]) -> list[_IndicatorRow]:
    if sheet is None:
        return []
    _require(sheet, ("kode", "indikator", "induk", "satuan", "jenis", "agregasi", "penanggung jawab"), errors)
    rows: list[_IndicatorRow] = []
    seen: set[str] = set()
    for position, (number, values) in enumerate(sheet.rows, start=1):
        where = f"{sheet.title} baris {number}"
        too_much = _cell_problems(sheet, values, INDICATOR_CELLS)
        if too_much:
            errors.extend(f"{where}: {p}" for p in too_much)
            continue
        code = _text(sheet.get(values, "kode")).strip()
        name = _text(sheet.get(values, "indikator")).strip()
        node = _text(sheet.get(values, "induk")).strip()
        satuan = _text(sheet.get(values, "satuan")).strip()
        problems = []
        if not code:
            problems.append("kode: wajib diisi")
        elif code in seen:
            problems.append(f"kode: {code} sudah ada di baris sebelumnya")
        if not name:
            problems.append("indikator: wajib diisi")
        if node not in node_codes:
            problems.append(f"induk: {node or '(kosong)'} tidak ada di Pohon Kinerja")
        if not satuan:
            problems.append("satuan: wajib diisi")
        jenis_text = _norm(_text(sheet.get(values, "jenis")))
        kind = JENIS_WORDS.get(jenis_text)
        if kind is None:
            problems.append(f"jenis: {jenis_text!r} bukan angka, persentase, rasio atau huruf")
        arah_text = _norm(_text(sheet.get(values, "arah"))) or "positif"
        direction = ARAH_WORDS.get(arah_text)
        if direction is None:
            problems.append(f"arah: {arah_text!r} bukan positif atau negatif")
        agregasi_text = _norm(_text(sheet.get(values, "agregasi")))
        aggregation = AGREGASI_WORDS.get(agregasi_text)
        if aggregation is None:
            problems.append(f"agregasi: {agregasi_text!r} bukan kumulatif, jumlah, terakhir atau rata-rata")
        scale = _norm(_text(sheet.get(values, "skala"))) or None
        external = _text(sheet.get(values, "sumber eksternal")).strip() or None
        role, seksi, person_id, owner_problem = _parse_owner(s, _text(sheet.get(values, "penanggung jawab")))
        if owner_problem:
            problems.append(owner_problem)
        penyerapan_text = _norm(_text(sheet.get(values, "penyerapan anggaran")))
        if penyerapan_text not in YES | NO:
            problems.append(f"penyerapan anggaran: {penyerapan_text!r} bukan ya atau tidak")
        try:
            low = _decimal_or_none(sheet.get(values, "min"), "min")
            high = _decimal_or_none(sheet.get(values, "maks"), "maks")
        except ValueError as exc:
            problems.append(str(exc))
            low = high = None
        rule = None
        if kind and direction and aggregation:
            rule = IndicatorRule(code, kind, direction, aggregation, scale, low, high)
            try:
                rule.check()
            except IndicatorError as exc:
                problems.append(str(exc))
        if problems or rule is None:
            errors.extend(f"{where}: {p}" for p in problems)
            continue
        seen.add(code)
        rows.append(
            _IndicatorRow(
                code, name, node, satuan, rule, external, role, seksi, person_id,
                _text(sheet.get(values, "sumber data")).strip() or None,
                _text(sheet.get(values, "formulasi")).strip() or None,
                penyerapan_text in YES, position,
            )
        )  # fmt: skip
    return rows


def _target_value(rule: IndicatorRule, raw: str | Decimal | None, field: str) -> str:
    if raw is None or raw == "":
        raise IndicatorError(f"{field}: wajib diisi")
    value = target_from_number(rule, raw, field) if isinstance(raw, Decimal) else read_target(rule, raw, field)
    problem = too_long(value, TARGET_MAX)  # a huge number, written out in full
    if problem is not None:
        raise IndicatorError(f"{field}: {problem}")
    return value


def _parse_targets(
    sheet: _Sheet,
    kind: str,
    rules: dict[str, IndicatorRule],
    names: dict[str, str],
    errors: list[str],
    warnings: list[str],
) -> list[_TargetRow]:
    annual_header = ("target tahunan", "target")
    if not any(h in sheet.header for h in annual_header):
        errors.append(f"{sheet.title}: kolom 'Target' tidak ada")
    _require(sheet, ("kode",), errors)
    out: list[_TargetRow] = []
    seen: set[str] = set()
    for number, values in sheet.rows:
        where = f"{sheet.title} baris {number}"
        too_much = _cell_problems(sheet, values, TARGET_CELLS)
        if too_much:
            errors.extend(f"{where}: {p}" for p in too_much)
            continue
        code = _text(sheet.get(values, "kode")).strip()
        rule = rules.get(code)
        if rule is None:
            errors.append(f"{where}: kode: {code or '(kosong)'} bukan indikator yang terdaftar")
            continue
        if code in seen:
            errors.append(f"{where}: kode: {code} sudah ada di baris sebelumnya")
            continue
        seen.add(code)
        written = _text(sheet.get(values, "indikator")).strip()
        if written and _norm(written) != _norm(names.get(code, "")):
            warnings.append(f"{where}: nama indikator {written!r} berbeda dengan yang tercatat {names.get(code)!r}")
        try:
            annual = _target_value(rule, sheet.get(values, *annual_header), "target")
            quarters: dict[int, str | None] = {q: None for q in (1, 2, 3, 4)}
            if kind == "rencana_aksi":
                for q, headers in QUARTER_HEADERS.items():
                    raw = sheet.get(values, *headers)
                    if raw is not None and raw != "":
                        quarters[q] = _target_value(rule, raw, f"target TW {q}")
                problems = check_quarterly(rule, annual, quarters)
                if problems:
                    errors.extend(f"{where}: {p}" for p in problems)
                    continue
        except (IndicatorError, InvalidOperation) as exc:
            errors.append(f"{where}: {exc}")
            continue
        out.append(_TargetRow(code, annual, quarters))
    return out


def _name_flag(
    s: Session, model: type[PlanNode] | type[Indicator], code: str, name: str, unit: Unit, year: int
) -> str | None:
    """A note when CODE already names something else on file (another unit or year)."""
    others = s.execute(
        select(model.name, Unit.code, model.year)
        .join(Unit, Unit.id == model.unit_id)
        .where(model.code == code)
        .where((model.unit_id != unit.id) | (model.year != year))
        .limit(20)
    ).all()
    for other_name, other_unit, other_year in others:
        if _norm(other_name) != _norm(name):
            return f"kode {code}: nama {name!r} berbeda dengan {other_name!r} yang tercatat ({other_unit} {other_year})"
    return None


def _write(
    s: Session, unit: Unit, year: int, person: Person, node_rows: list[_NodeRow], nodes_on_file: dict[str, PlanNode],
    indicator_rows: list[_IndicatorRow], indicators_on_file: dict[str, Indicator],
    target_rows: dict[str, list[_TargetRow]], report: ImportReport, now: datetime,
) -> None:  # fmt: skip
    nodes = dict(nodes_on_file)
    for row in node_rows:
        flag = _name_flag(s, PlanNode, row.code, row.name, unit, year)
        node = nodes.get(row.code)
        if node is None:
            node = PlanNode(unit_id=unit.id, year=year, code=row.code)
            s.add(node)
            nodes[row.code] = node
            report.nodes_created += 1
        else:
            if _norm(node.name) != _norm(row.name):
                flag = flag or f"kode {row.code}: nama diubah dari {node.name!r} menjadi {row.name!r}"
            report.nodes_updated += 1
        node.kind, node.name, node.flag = row.kind, row.name, flag
        node.parent_id = nodes[row.parent].id if row.parent else None
        if flag:
            report.warnings.append(flag)
        s.flush()
    indicators = dict(indicators_on_file)
    for irow in indicator_rows:
        flag = _name_flag(s, Indicator, irow.code, irow.name, unit, year)
        indicator = indicators.get(irow.code)
        if indicator is None:
            indicator = Indicator(unit_id=unit.id, year=year, code=irow.code)
            s.add(indicator)
            indicators[irow.code] = indicator
            report.indicators_created += 1
        else:
            if _norm(indicator.name) != _norm(irow.name):
                flag = flag or f"kode {irow.code}: nama diubah dari {indicator.name!r} menjadi {irow.name!r}"
            report.indicators_updated += 1
        rule = irow.rule
        indicator.node_id = nodes[irow.node].id
        indicator.position = irow.position
        indicator.name, indicator.satuan, indicator.flag = irow.name, irow.satuan, flag
        indicator.kind, indicator.direction, indicator.aggregation = rule.kind, rule.direction, rule.aggregation
        indicator.scale, indicator.external_source = rule.scale, irow.external_source
        indicator.owner_role, indicator.owner_seksi = irow.owner_role, irow.owner_seksi
        indicator.owner_person_id = irow.owner_person_id
        indicator.sumber_data, indicator.formulation = irow.sumber_data, irow.formulation
        indicator.min_value = str(rule.min_value) if rule.min_value is not None else None
        indicator.max_value = str(rule.max_value) if rule.max_value is not None else None
        indicator.penyerapan = irow.penyerapan
        if flag:
            report.warnings.append(flag)
    s.flush()
    for kind, rows in target_rows.items():
        label = f"{TARGET_KIND_LABELS[kind]} {year}"
        wanted = {
            indicators[r.code].id: (r.annual, r.quarters[1], r.quarters[2], r.quarters[3], r.quarters[4]) for r in rows
        }
        current = latest_set(s, unit.id, year, kind)
        if current is not None:
            have = {
                t.indicator_id: (t.annual, t.tw1, t.tw2, t.tw3, t.tw4)
                for t in s.scalars(select(Target).where(Target.target_set_id == current.id))
            }
            if have == wanted:
                report.unchanged.append(f"{label} v{current.version}")
                continue
        target_set = TargetSet(
            unit_id=unit.id, year=year, kind=kind, version=(current.version + 1) if current else 1,
            created_at=now, created_by=person.username, source=None,
        )  # fmt: skip
        s.add(target_set)
        s.flush()
        for indicator_id, (annual, tw1, tw2, tw3, tw4) in wanted.items():
            s.add(Target(target_set_id=target_set.id, indicator_id=indicator_id, annual=annual,
                         tw1=tw1, tw2=tw2, tw3=tw3, tw4=tw4))  # fmt: skip
        report.target_sets.append(f"{label} v{target_set.version}")
    s.flush()


# --- export --------------------------------------------------------------------------------

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")


def _num(text: str | None) -> Decimal | str | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def write_rekap_xlsx(rekap: dict[str, Any], path: Path) -> None:
    """The Kertas Kerja Pengukuran as a workbook: numbers stay numbers, with Indonesian-style formats."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Kertas Kerja"
    ws.append([f"KERTAS KERJA PENGUKURAN DATA KINERJA — {rekap['unit_name'].upper()}"])
    ws.append(
        [
            f"Periode: {rekap['period']}",
            f"Target: {rekap['target_set'] or '-'}",
            f"Kebijakan capaian: {rekap['policy']}",
        ]
    )
    ws.append([])
    header = [
        "No", "Sasaran / Kinerja Lainnya", "Kode", "Indikator", "Satuan", "Versi target", "Target",
        "TW I", "TW II", "TW III", "TW IV", "Realisasi s.d.", "Capaian (%)", "Predikat", "Kategori",
        "Efisiensi (%)", "Status", "Catatan",
    ]  # fmt: skip
    ws.append(header)
    for cell in ws[4]:
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for number, row in enumerate(rekap["rows"], start=1):
        ws.append(
            [
                number, row["sasaran"], row["code"], row["name"], row["satuan"], row["target_set"], _num(row["target"]),
                _num(row["tw1"]), _num(row["tw2"]), _num(row["tw3"]), _num(row["tw4"]),
                _num(row["value_percent"] or row["value"]), _num(row["capaian"]), row["predikat"], row["category"],
                _num(row["efisiensi"]), row["status"], row["note"],
            ]
        )  # fmt: skip
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00" if cell.column in (13, 16) else "#,##0.##"
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: a note starting with "=" is never a formula
    ws.append([])
    ws.append(["", "Rata-rata capaian per sasaran"])
    ws[ws.max_row][1].font = _HEAD
    for group in rekap["sasaran"]:
        ws.append(["", group["name"], group["code"], f"{group['indicators']} indikator", "", "", "", "", "", "", "",
                   "", _num(group["average_capaian"]), group["predikat"]])  # fmt: skip
        ws[ws.max_row][12].number_format = "#,##0.00"
    if rekap["average_capaian"] is not None:
        ws.append(["", "Rata-rata capaian seluruh indikator", "", "", "", "", "", "", "", "", "", "",
                   _num(rekap["average_capaian"])])  # fmt: skip
        ws[ws.max_row][12].number_format = "#,##0.00"
    for letter, width in zip(
        "ABCDEFGHIJKLMNOPQR", (5, 34, 16, 44, 10, 18, 10, 10, 10, 10, 10, 14, 12, 18, 16, 12, 12, 40), strict=True
    ):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
    book.save(path)
