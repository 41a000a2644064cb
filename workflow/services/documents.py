"""Documents from the data the engine holds: the Nota Dinas, the SOP sheet, the Format / Checklist,
the Laporan Hasil Pengukuran and the bukti dukung of reviu berjenjang.

PDF comes from Jinja2 HTML templates through WeasyPrint, DOCX from Word templates through docxtpl,
and XLSX from openpyxl. The default templates live in `workflow/services/doc_templates/`. An office
replaces a Word template without touching code by saving its own copy (same file name) in the
template folder, `SAKIP_TEMPLATE_DIR` (default `instance/templates`): first in a sub-folder named
after its unit code (`kutorejo/nota_dinas.docx`), else after a unit above it (the Kabupaten's
letterhead for all its Kecamatan), else at the top of the folder. `sakip doc templates -o DIR`
writes the defaults there to start from.

Dates are written "14 September 2023", numbers `2.973.061.600,00` and `93,35%`. A Laporan that
has been signed is rendered from the content frozen in its signature, so the printed report is
the one signed.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, TemplateSyntaxError, select_autoescape
from jinja2.exceptions import SecurityError
from lxml import etree  # type: ignore[import-untyped]
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import config
from workflow.adapters import repository
from workflow.adapters.isolation import TooCostly, run_isolated
from workflow.adapters.models import (
    AuditEvent,
    Cycle,
    DocumentNumber,
    DocumentVersion,
    Instance,
    Person,
    Signature,
    TargetSet,
    Unit,
    unit_chain,
)
from workflow.adapters.template_sandbox import PlainSandbox, plain_data
from workflow.domain.indicators import parse_period
from workflow.domain.localtime import tanggal, utcnow, waktu_lokal
from workflow.domain.periods import ROMAN, Period
from workflow.errors import InvalidInput, NotFound, invalid_value
from workflow.services.engine import WorkflowService
from workflow.services.measurement import (
    default_target_set,
    indicators_of,
    measure_upto,
    policy_for,
    quarters_of,
    set_label,
)
from workflow.services.org import holders
from workflow.services.rekap import document_content, sha256_text
from workflow.sop.flowchart import flowchart_svg
from workflow.sop.spec import SopSpec

TEMPLATES = Path(__file__).resolve().parent / "doc_templates"
log = logging.getLogger(__name__)


def angka(value: Any, places: int | None = None) -> str:
    """`2.973.061.600,00`, `93,35`: Indonesian digits; text that is not a number is kept."""
    if value in (None, ""):
        return "-"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    pattern = "#,##0" + ("." + "0" * places if places else ".##########")
    return str(format_decimal(number, format=pattern, locale="id_ID", decimal_quantization=places is not None))


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["angka"] = angka
    env.filters["tanggal"] = tanggal
    env.filters["waktu"] = waktu_lokal
    env.filters["tanggal_lokal"] = lambda moment, timezone: tanggal(moment.astimezone(ZoneInfo(timezone)).date())
    return env


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


WORD_TEMPLATES = ("nota_dinas", "laporan", "sop_sheet")


def template_dir() -> Path:
    """SAKIP_TEMPLATE_DIR, a relative one taken inside the instance folder (never the working directory)."""
    return config.template_dir()


def word_template(name: str, unit_codes: tuple[str, ...] = ()) -> Path:
    """The Word template NAME for a unit: the office's own copy if there is one, else the default."""
    folder = template_dir()
    codes = [code for code in unit_codes if code and "/" not in code and "\\" not in code and code not in (".", "..")]
    for candidate in [*(folder / code / f"{name}.docx" for code in codes), folder / f"{name}.docx"]:
        if candidate.is_file():
            return candidate
    return TEMPLATES / f"{name}.docx"


# Where the engine puts the bagan alur picture: a template writes `{{ bagan }}`, which is this text.
BAGAN_MARKER = "[[bagan-alur]]"


MAX_TEMPLATE_BYTES = 10 * 1024 * 1024  # an office's Word template, as a file
MAX_TEMPLATE_UNPACKED = 50 * 1024 * 1024  # and its parts unpacked


def render_docx(name: str, context: dict[str, Any], unit_codes: tuple[str, ...] = ()) -> bytes:
    """Fill the Word template NAME with CONTEXT (plain data, already in Indonesian format).

    The template runs in `PlainSandbox` and sees a plain-data copy of the context only, in a child
    process with a memory, CPU and time ceiling (`workflow.adapters.isolation`). A context value
    `bagan_svg` is not shown to it: the field `bagan` is a text marker, and the engine puts the
    picture (the SVG rendered to PNG) where the marker was printed."""
    import cairosvg  # type: ignore[import-untyped]  # noqa: F401  (imported before the fork, not in the child)
    import docxtpl  # type: ignore[import-untyped]  # noqa: F401

    path = word_template(name, unit_codes)
    # Named for the person who fixes it (the file in the template folder), never by the server's paths.
    if path.parent == TEMPLATES:
        label = f"{name}.docx (default)"
    elif path.parent == template_dir():
        label = f"{name}.docx"
    else:
        label = f"{path.parent.name}/{name}.docx"
    values = dict(context)
    svg = values.pop("bagan_svg", None)
    if svg is not None:
        values["bagan"] = BAGAN_MARKER
    values = plain_data(values)  # TypeError here is the engine's bug, never the office's: let it raise
    _check_template_size(path, label)
    try:
        return run_isolated(lambda: _fill(path, label, values, svg))
    except InvalidInput as exc:
        log.warning("Word template %s refused: %s", path, exc)
        raise
    except TooCostly as exc:
        log.warning("Word template %s stopped: %s", path, exc)
        raise InvalidInput(
            f"Word template {label}: filling it took too much time or memory ({exc}); simplify its fields",
            code="template.too_costly",
            detail=str(exc),
            **_named(label),
        ) from None
    except RuntimeError as exc:
        log.warning("Word template %s failed: %s", path, exc)
        raise InvalidInput(
            f"Word template {label}: a field cannot be filled: {exc}",
            code="template.cannot_fill",
            detail=str(exc),
            **_named(label),
        ) from None


def _named(label: str) -> dict[str, str]:
    """The params naming a template in its errors: `template` as the English text names it
    (`nota_dinas.docx (default)`), `file` without the `(default)` (as the Indonesian names it)."""
    return {"template": label, "file": label.removesuffix(" (default)")}


def _check_template_size(path: Path, label: str) -> None:
    """Refuse a template too large to be a letter: as a file, or unpacked (a zip bomb)."""
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise InvalidInput(
                f"Word template {label}: larger than {MAX_TEMPLATE_BYTES // 1024 // 1024} MB",
                code="template.too_large",
                mb=MAX_TEMPLATE_BYTES // 1024 // 1024,
                **_named(label),
            )
        with zipfile.ZipFile(path) as package:
            if sum(info.file_size for info in package.infolist()) > MAX_TEMPLATE_UNPACKED:
                raise InvalidInput(
                    f"Word template {label}: larger than {MAX_TEMPLATE_UNPACKED // 1024 // 1024} MB unpacked",
                    code="template.too_large_unpacked",
                    mb=MAX_TEMPLATE_UNPACKED // 1024 // 1024,
                    **_named(label),
                )
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(
            f"Word template {label}: not a Word document (.docx): {type(exc).__name__}",
            code="template.not_docx",
            detail=type(exc).__name__,
            **_named(label),
        ) from None


def _fill(path: Path, label: str, values: dict[str, Any], svg: str | None) -> bytes:
    """Runs in the isolated child: render, place the bagan, save. Every failure is InvalidInput."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    try:
        template = DocxTemplate(str(path))
        # An office's template is text anyone with the folder can edit: run it sandboxed, on plain data.
        template.render(values, jinja_env=PlainSandbox(), autoescape=True)
        if svg is not None:
            _place_bagan(template.docx, svg)
        _fit_grids(template.docx)
        buffer = io.BytesIO()
        template.save(buffer)
        return buffer.getvalue()
    except TemplateSyntaxError as exc:
        raise InvalidInput(
            f"Word template {label}: a field is broken near line {exc.lineno}: {exc.message}",
            code="template.broken_field",
            line=exc.lineno,
            detail=exc.message,
            **_named(label),
        ) from None
    except SecurityError as exc:
        raise InvalidInput(
            f"Word template {label}: a field is not allowed: {exc}",
            code="template.field_not_allowed",
            detail=str(exc),
            **_named(label),
        ) from None
    except (zipfile.BadZipFile, PackageNotFoundError, etree.XMLSyntaxError) as exc:
        raise InvalidInput(
            f"Word template {label}: not a Word document (.docx): {type(exc).__name__}",
            code="template.not_docx",
            detail=type(exc).__name__,
            **_named(label),
        ) from None
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # a field that fails when filled ({{ 1/0 }}, an unknown filter)
        raise InvalidInput(
            f"Word template {label}: a field cannot be filled: {exc}",
            code="template.cannot_fill",
            detail=str(exc),
            **_named(label),
        ) from None


def _place_bagan(document: Any, svg: str) -> None:
    """Put the bagan alur picture in every run where the template printed BAGAN_MARKER."""
    import cairosvg
    from docx.oxml.ns import qn
    from docx.shared import Mm

    png = None
    parts = [document.part, *(s.part for section in document.sections for s in (section.header, section.footer))]
    for part in dict.fromkeys(parts):
        for run in list(part.element.iter(qn("w:r"))):
            texts = [t for t in run.iter(qn("w:t")) if t.text and BAGAN_MARKER in t.text]
            if not texts:
                continue
            if png is None:
                png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=2)
            for t in texts:
                t.text = t.text.replace(BAGAN_MARKER, "")
            inline = part.new_pic_inline(io.BytesIO(png), None, Mm(150))
            run.add_drawing(inline)


def _fit_grids(document: Any) -> None:
    """Give each table as many grid columns as its widest row has cells, with those cells' widths.

    A `{%tc for %}` loop (one column per executor role) adds cells that the template's grid does
    not know about, and docxtpl then splits the page width evenly between all columns."""
    from docx.oxml.ns import qn

    for table in document.tables:
        rows = table._tbl.tr_lst
        if not rows:
            continue
        widest = max(reversed(rows), key=lambda row: len(row.tc_lst))  # a body row: the header merges
        if any(tc.tcPr is not None and tc.tcPr.find(qn("w:gridSpan")) is not None for tc in widest.tc_lst):
            continue
        found = [tc.tcPr.find(qn("w:tcW")) if tc.tcPr is not None else None for tc in widest.tc_lst]
        widths = [w.get(qn("w:w")) for w in found if w is not None]
        if len(widths) != len(found) or None in widths:
            continue
        grid = table._tbl.tblGrid
        for column in list(grid.gridCol_lst):
            grid.remove(column)
        for width in widths:
            grid.add_gridCol().set(qn("w:w"), width)


@dataclass(frozen=True)
class Rendered:
    html: str
    word: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    unit_codes: tuple[str, ...] = ()

    def pdf(self) -> bytes:
        return render_pdf(self.html)

    def docx(self) -> bytes:
        if self.word is None:
            raise ValueError("this document has no Word template")
        return render_docx(self.word, self.context, self.unit_codes)


def _lines(text: str | None) -> str:
    return " ".join((text or "").split())


def sop_sheet(spec: SopSpec) -> Rendered:
    """The SOP in the standard sheet: header block, the four paired boxes, the step table with one
    column per executor role and the mutu baku columns, and the bagan alur.

    Word fields: unit, version, key, nomor, nama, tanggal_pembuatan, tanggal_revisi,
    tanggal_efektif, disahkan_oleh, dasar_hukum[], kualifikasi_pelaksana[], keterkaitan[],
    peralatan[], peringatan, pencatatan, roles[] (column headings), steps[] (no, kegiatan,
    marks[] one per role, kelengkapan, waktu, output, ket) and bagan (the picture)."""
    svg = flowchart_svg(spec, title=False)
    html = _env().get_template("sop_sheet.html").render(spec=spec, svg=svg)
    header = spec.header
    numbers = {step.id: step.no for step in spec.steps}
    steps = [
        {"no": step.no, "kegiatan": _lines(step.kegiatan), "kelengkapan": ", ".join(step.kelengkapan),
         "marks": ["✓" if role.role == step.pelaksana else "" for role in spec.roles],
         "waktu": step.waktu.printed if step.waktu else "-", "output": _lines(step.output) or "-",
         "ket": f"Ya: lanjut; Tidak: kembali ke langkah {numbers.get(step.return_to or '', '-')}"
         if step.kind.value == "review" else ""}
        for step in spec.steps
    ]  # fmt: skip
    context = {
        "unit": header.unit or "", "version": spec.version, "key": spec.key, "nomor": header.nomor,
        "nama": header.nama, "tanggal_pembuatan": header.tanggal_pembuatan,
        "tanggal_revisi": header.tanggal_revisi or "-", "tanggal_efektif": header.tanggal_efektif,
        "disahkan_oleh": header.disahkan_oleh, "dasar_hukum": list(header.dasar_hukum),
        "kualifikasi_pelaksana": list(header.kualifikasi_pelaksana), "keterkaitan": list(header.keterkaitan),
        "peralatan": list(header.peralatan), "peringatan": header.peringatan, "pencatatan": header.pencatatan,
        "roles": [role.column for role in spec.roles], "steps": steps, "bagan_svg": svg,
    }  # fmt: skip
    return Rendered(html, "sop_sheet", context)


def _instance(s: Session, instance_id: int) -> tuple[Instance, Unit]:
    instance = repository.instance(s, instance_id)
    unit = repository.row(s, Unit, instance.unit_id)
    return instance, unit


def bukti_dukung(service: WorkflowService, instance_id: int) -> Rendered:
    """Every audit event of the cycle, each reviewed draft version with its hash, and the sign-off."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance, unit = _instance(s, instance_id)
        spec = service.registry.get(instance.sop_key, instance.sop_version)
        events = list(
            s.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))
        )
        versions = list(
            s.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.instance_id == instance_id)
                .order_by(DocumentVersion.version)
            )
        )
        signatures = _signatures(s, instance_id)
        current = sha256_text(document_content(s, instance, spec.nama))
        html = _env().get_template("bukti.html").render(
            spec=spec, instance=instance, unit=unit, events=events, versions=versions, signatures=signatures,
            current=current, steps={step.id: step for step in spec.steps},
        )  # fmt: skip
        return Rendered(html)


def _signatures(s: Session, instance_id: int) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Signature, Person)
        .join(Person, Person.id == Signature.person_id)
        .where(Signature.instance_id == instance_id)
        .order_by(Signature.id)
    ).all()
    return [
        {"kind": sig.kind, "actor": sig.actor, "name": person.name, "nip": person.nip, "pangkat": person.pangkat,
         "role": sig.role, "acting_for": sig.acting_for, "signed_at": sig.signed_at, "sha256": sig.sha256,
         "content": sig.content}
        for sig, person in rows
    ]  # fmt: skip


def laporan(service: WorkflowService, instance_id: int) -> Rendered:
    """The Laporan Hasil Pengukuran Data Kinerja: draft while unsigned, final (frozen) once signed."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance, unit = _instance(s, instance_id)
        spec = service.registry.get(instance.sop_key, instance.sop_version)
        signatures = [sig for sig in _signatures(s, instance_id) if sig["kind"] == "tanda_tangan"]
        signed = signatures[-1] if signatures else None
        content = signed["content"] if signed else document_content(s, instance, spec.nama)
        data = json.loads(content)
        rekap = data.get("rekap")
        if rekap is None:
            raise NotFound(
                f"instance {instance_id} has no Kertas Kerja to report (no indicators for {instance.period})",
                code="report.no_rekap",
                instance=instance_id,
                period=instance.period,
            )
        shortfalls = [r for r in rekap["rows"] if r.get("capaian") and Decimal(r["capaian"]) < 100 and r.get("note")]
        camat = None if signed else _head_of(s, unit)
        sha256 = sha256_text(content)
        html = _env().get_template("laporan.html").render(
            spec=spec, instance=instance, unit=unit, rekap=rekap, shortfalls=shortfalls, signed=signed, camat=camat,
            sha256=sha256, final=signed is not None, period_label=period_label(instance.period),
        )  # fmt: skip
        chain = unit_chain(s, unit)
        return Rendered(
            html, "laporan", _laporan_context(unit, instance, rekap, shortfalls, signed, camat, sha256),
            tuple(u.code for u in chain),
        )  # fmt: skip


def _percent(value: Any) -> str:
    return f"{angka(value, 2)}%" if value not in (None, "") else "-"


def _target_text(row: dict[str, Any]) -> str:
    if row["kind"] == "grade":
        return str(row.get("target") or "-")
    return f"{angka(row.get('target'))} {row.get('satuan') or ''}".strip()


def _value_text(row: dict[str, Any]) -> str:
    value = row.get("value")
    if row.get("pending"):
        return "menunggu"
    if row["kind"] == "ratio" and value:
        return "/".join(angka(part) for part in str(value).split("/"))
    if row["kind"] == "grade":
        return str(value or "-")
    return angka(value)


def _laporan_context(
    unit: Unit,
    instance: Instance,
    rekap: dict[str, Any],
    shortfalls: list[dict[str, Any]],
    signed: dict[str, Any] | None,
    camat: dict[str, Any] | None,
    sha256: str,
) -> dict[str, Any]:
    """Word fields: status, kop_unit, periode, target_set, policy, penyerapan, groups[] (code, name,
    rows[] (code, name, target, realisasi, capaian, predikat), average, predikat), shortfalls[]
    (code, name, capaian, note), the signature block (tempat_tanggal, jabatan,
    keterangan_tanda_tangan, nama, pangkat, nip) and sha256."""
    groups = [
        {
            "code": group["code"],
            "name": group["name"],
            "average": _percent(group.get("average_capaian")),
            "predikat": group.get("predikat") or "",
            "rows": [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "target": _target_text(r),
                    "realisasi": _value_text(r),
                    "capaian": _percent(r.get("capaian")),
                    "predikat": r.get("predikat") or "",
                }
                for r in rekap["rows"]
                if r.get("sasaran_code") == group["code"]
            ],
        }
        for group in rekap["sasaran"]
    ]
    place = unit.name.replace("Kecamatan ", "")
    if signed is not None:
        local = signed["signed_at"].astimezone(ZoneInfo(unit.timezone)).date()
        block = {
            "tempat_tanggal": f"{place}, {tanggal(local)}",
            "keterangan_tanda_tangan": "ditandatangani secara elektronik",
            "jabatan": ("Plt. " if signed["acting_for"] else "") + "CAMAT " + place.upper(),
            "nama": signed["name"],
            "pangkat": signed["pangkat"] or "",
            "nip": signed["nip"] or "-",
        }
        status = f"FINAL — ditandatangani {tanggal(local)}"
    else:
        block = {
            "tempat_tanggal": f"{place}, ",
            "keterangan_tanda_tangan": "",
            "jabatan": ("Plt. " if camat and camat["acting"] else "") + "CAMAT " + place.upper(),
            "nama": camat["name"] if camat else "",
            "pangkat": (camat or {}).get("pangkat") or "",
            "nip": (camat or {}).get("nip") or "-",
        }
        status = "DRAF — belum ditandatangani"
    penyerapan = rekap.get("penyerapan_anggaran")
    return {
        "status": status,
        "kop_unit": unit.name.upper(),
        "periode": "PERIODE " + period_label(instance.period).upper(),
        "target_set": rekap.get("target_set") or "-",
        "policy": rekap.get("policy") or "-",
        "penyerapan": f" Penyerapan anggaran: {angka(penyerapan, 2)}%." if penyerapan else "",
        "groups": groups,
        "sha256": sha256,
        **block,
        "shortfalls": [
            {"code": r["code"], "name": r["name"], "capaian": _percent(r["capaian"]), "note": r["note"]}
            for r in shortfalls
        ],
    }


def _head_of(s: Session, unit: Unit) -> dict[str, Any] | None:
    """Who would sign now: the Camat, or the Plt. Camat."""
    found = holders(s, unit.id, "camat", utcnow())
    if not found:
        return None
    holder = sorted(found, key=lambda h: h.acting)[0]
    person = repository.row(s, Person, holder.person_id)
    return {"name": person.name, "nip": person.nip, "pangkat": person.pangkat, "acting": holder.acting}


DEFAULT_NOTA_DINAS_PATTERN = "065/{seq}/{unit_code}/{year}"


def period_label(period: str) -> str:
    """`2024-TW1` -> `Triwulan I Tahun 2024`; `2024` -> `Tahun 2024`."""
    return Period.parse(period).label()


NOTA_DINAS_NUMBER_MAX = 120  # document_numbers.number


def nota_dinas_number(service: WorkflowService, instance_id: int) -> str:
    """The instance's Nota Dinas number, given once (the next in sequence for its unit and year).

    InvalidInput (nothing given) when the unit's pattern cannot make one."""
    with service.db.unit_of_work() as uow:
        s = uow.session
        instance, unit = _instance(s, instance_id)
        found = s.scalar(
            select(DocumentNumber.number).where(
                DocumentNumber.instance_id == instance_id, DocumentNumber.kind == "nota_dinas"
            )
        )
        if found is not None:
            return str(found)
        from workflow.services.org import nota_dinas_pattern_problem

        year = instance.started_at.astimezone(ZoneInfo(unit.timezone)).year
        owner, pattern = next(
            ((u.code, u.nota_dinas_pattern) for u in unit_chain(s, unit) if u.nota_dinas_pattern),
            (None, DEFAULT_NOTA_DINAS_PATTERN),
        )
        last = s.scalar(
            select(func.max(DocumentNumber.seq)).where(
                DocumentNumber.unit_id == unit.id, DocumentNumber.year == year, DocumentNumber.kind == "nota_dinas"
            )
        )
        seq = (last or 0) + 1
        # A pattern stored before load-time validation (or written into the database by hand) is
        # checked again: a bad one is the office's input to fix, never a crash.
        problem = nota_dinas_pattern_problem(pattern)
        try:
            number = "" if problem else pattern.format(seq=seq, unit_code=unit.unit_code or unit.code, year=year)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
            problem = f"cannot be filled: {type(exc).__name__}"
        if not problem and len(number) > NOTA_DINAS_NUMBER_MAX:
            problem = f"gives a number longer than {NOTA_DINAS_NUMBER_MAX} characters"
        if problem:
            raise InvalidInput(
                f"nota_dinas_pattern of unit {owner}: {problem}; fix it in the organisation file",
                code="nota_dinas.pattern",
                unit=owner,
                problem=problem,
            )
        s.add(
            DocumentNumber(
                unit_id=unit.id, year=year, kind="nota_dinas", seq=seq, instance_id=instance_id, number=number,
                created_at=service.clock(),
            )
        )  # fmt: skip
        uow.commit()
        return number


def nota_dinas(service: WorkflowService, instance_id: int) -> Rendered:
    """The Nota Dinas that opens a cycle: number, kepada, dari, tanggal, perihal, and what is asked by when.

    Word fields: kop_atas (the Kabupaten), kop_unit, kop_alamat (empty: an office writes its
    address into its own template), nomor, tanggal, sifat, lampiran, kepada, dari, perihal,
    pembuka, steps[] (no, kegiatan, pelaksana, waktu, output), batas_waktu, penutup and the
    signature block (tempat_tanggal, jabatan, keterangan_tanda_tangan, nama, pangkat, nip)."""
    number = nota_dinas_number(service, instance_id)
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance, unit = _instance(s, instance_id)
        spec = service.registry.get(instance.sop_key, instance.sop_version)
        cycle = s.get(Cycle, instance.cycle_id) if instance.cycle_id else None
        names = {role: _names(s, unit, role, instance.started_at) for role in {r.role for r in spec.roles}}
        head = _head_of(s, unit)
        period = period_label(instance.period)
        deadline = cycle.deadline_at if cycle else None
        roles = {r.role: r.column for r in spec.roles}
        chain = unit_chain(s, unit)
        place = unit.name.replace("Kecamatan ", "")
        acting = "Plt. " if head and head["acting"] else ""
        started = tanggal(instance.started_at.astimezone(ZoneInfo(unit.timezone)).date())

        def named(role: str, fallback: str) -> str:
            people = names.get(role)
            return roles.get(role, fallback) + (f" ({', '.join(people)})" if people else "")

        context = {
            "kop_atas": chain[-1].name.upper() if len(chain) > 1 else "",
            "kop_unit": unit.name.upper(),
            "kop_alamat": "",
            "nomor": number,
            "tanggal": started,
            "sifat": "Biasa",
            "lampiran": "-",
            "kepada": "Yth. "
            + "; ".join(
                [
                    named("sekcam", "Sekretaris Camat"),
                    named("tim_sakip", "Tim SAKIP"),
                    roles.get("asn", "Seluruh ASN Internal"),
                ]
            ),
            "dari": f"{acting}Camat {place}",
            "perihal": f"{spec.nama.title()} {period}",
            "pembuka": f"Dalam rangka pelaksanaan Sistem Akuntabilitas Kinerja Instansi Pemerintah (SAKIP) pada "
            f"{unit.name}, bersama ini diperintahkan untuk melaksanakan {spec.nama.title()} {period} "
            f"sesuai Standar Operasional Prosedur nomor {spec.header.nomor}, dengan langkah sebagai berikut:",
            "steps": [
                {
                    "no": step.no,
                    "kegiatan": _lines(step.kegiatan),
                    "pelaksana": roles.get(step.pelaksana, step.pelaksana),
                    "waktu": step.waktu.printed if step.waktu else "-",
                    "output": _lines(step.output) or "-",
                }
                for step in spec.steps
            ],
            "batas_waktu": "Seluruh rangkaian kegiatan diselesaikan paling lambat "
            + waktu_lokal(deadline, unit.timezone)
            + "."
            if deadline
            else "Setiap langkah diselesaikan dalam waktu yang tercantum di atas, dihitung dalam hari kerja.",
            "penutup": "Demikian untuk dilaksanakan dengan penuh tanggung jawab.",
            "tempat_tanggal": f"{place}, {started}",
            "jabatan": f"{acting}CAMAT {place.upper()}",
            "keterangan_tanda_tangan": "",
            "nama": head["name"] if head else "",
            "pangkat": (head or {}).get("pangkat") or "",
            "nip": (head or {}).get("nip") or "-",
        }
        html = _env().get_template("nota_dinas.html").render(**context)
        return Rendered(html, "nota_dinas", context, tuple(u.code for u in chain))


def _names(s: Session, unit: Unit, role: str, at: Any) -> list[str]:
    people = []
    for holder in holders(s, unit.id, role, at):
        person = s.get(Person, holder.person_id)
        if person is not None:
            people.append(("Plt. " if holder.acting else "") + person.name)
    return people


def format_checklist(service: WorkflowService, unit_code: str, period: str, username: str) -> dict[str, Any]:
    """The Format / Checklist data kinerja of one person: their indicators, targets and the quarter to fill."""
    now = service.clock()
    try:
        year, quarter = parse_period(period)
    except ValueError as exc:
        raise invalid_value(exc) from None
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        person = repository.person(s, username)
        unit = repository.unit(s, unit_code)
        indicators = indicators_of(s, person.id, unit.id, year, now)
        if not indicators:
            raise NotFound(
                f"user {username!r} answers for no indicator of {unit_code} in {year}",
                code="checklist.no_indicators",
                user=username,
                unit=unit_code,
                year=year,
            )
        base = default_target_set(s, unit.id, year)
        instance = s.scalar(
            select(Instance)
            .where(Instance.unit_id == unit.id, Instance.period == period, Instance.target_set_id.is_not(None))
            .limit(1)
        )
        if instance is not None and instance.target_set_id is not None:
            base = s.get(TargetSet, instance.target_set_id)
        policy = policy_for(s, unit)
        rows = []
        for indicator in indicators:
            earlier = quarters_of(s, indicator, year, quarter - 1) if quarter > 1 else {}
            measured = measure_upto(s, indicator, base, {}, quarter, policy)
            annual = measure_upto(s, indicator, base, {}, 4, policy)
            rows.append(
                {"code": indicator.code, "name": indicator.name, "satuan": indicator.satuan, "kind": indicator.kind,
                 "target": measured.target, "annual": annual.target, "target_set": set_label(measured.target_set),
                 "earlier": {q: earlier[q].display() if q in earlier else None for q in range(1, quarter)},
                 "external_source": indicator.external_source}
            )  # fmt: skip
        return {
            "unit": unit.code, "unit_name": unit.name, "period": period, "period_label": period_label(period),
            "quarter": quarter, "person": person.name, "username": person.username, "nip": person.nip, "rows": rows,
        }  # fmt: skip


def format_pdf(data: dict[str, Any]) -> Rendered:
    return Rendered(_env().get_template("format.html").render(data=data))


def format_xlsx(data: dict[str, Any], path: Any) -> None:
    """The same checklist as a workbook to fill in (values typed here go back through the data-entry page)."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Format Data Kinerja"
    ws.append([f"FORMAT DATA KINERJA {data['period_label'].upper()} — {data['unit_name'].upper()}"])
    ws.append([f"Penanggung jawab: {data['person']} (NIP {data['nip'] or '-'})"])
    ws.append([])
    quarters = [f"TW {ROMAN[q]} (terisi)" for q in range(1, data["quarter"])]
    header = ["No", "Kode", "Indikator", "Satuan", "Target tahunan", f"Target s.d. TW {ROMAN[data['quarter']]}",
              *quarters, f"Realisasi TW {ROMAN[data['quarter']]}", "Hambatan / keterangan", "Bukti dukung"]  # fmt: skip
    ws.append(header)
    for n, row in enumerate(data["rows"], start=1):
        earlier = [row["earlier"].get(q) for q in range(1, data["quarter"])]
        ws.append(
            [n, row["code"], row["name"], row["satuan"], row["annual"], row["target"], *earlier, None, None, None]
        )
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHIJKL", (5, 16, 50, 12, 14, 16, 14, 14, 14, 18, 30, 20), strict=False):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    book.save(path)
