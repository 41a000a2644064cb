"""Build the default Word templates (`nota_dinas.docx`, `laporan.docx`, `sop_sheet.docx`).

The templates are docxtpl (Jinja2) documents: an office opens one in Word or LibreOffice, changes
the letterhead, fonts or wording around the `{{ … }}` fields, and saves it into its template
folder (`SAKIP_TEMPLATE_DIR`, see the README); no code changes. This script only made the
defaults that ship with the engine. Run it again after changing it:

    .venv/bin/python workflow/services/doc_templates/build_word.py

Every field a template may use is listed in the docstring of the function in
`workflow/services/documents.py` that fills it.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
FONT = "Arial"


def _document(landscape: bool = False) -> WordDocument:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.paragraph_format.space_after = Pt(3)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(18)
    return doc


def _para(
    container: WordDocument | _Cell, text: str = "", bold: bool = False, size: float | None = None, align: str = "left",
    underline: bool = False, italic: bool = False,
) -> Paragraph:  # fmt: skip
    paragraph = container.add_paragraph()
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    if text:
        run = paragraph.add_run(text)
        run.bold, run.underline, run.italic = bold, underline, italic
        if size:
            run.font.size = Pt(size)
    return paragraph


def _cell(cell: _Cell, text: str, bold: bool = False, size: float | None = None, align: str = "left") -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if align == "center" else WD_ALIGN_PARAGRAPH.LEFT
    if align == "right":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)


def _shade(cell: _Cell, fill: str = "E8ECEF") -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _widths(table: Table, widths_mm: list[float]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(width)


def _rule(paragraph: Paragraph) -> None:
    """A double line under the letterhead (kop surat)."""
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "thickThinSmallGap"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    properties.append(borders)


def _kop(doc: WordDocument) -> None:
    _para(doc, "PEMERINTAH {{ kop_atas }}", bold=True, size=13, align="center")
    _para(doc, "{{ kop_unit }}", bold=True, size=15, align="center")
    _rule(_para(doc, "{{ kop_alamat }}", size=9, align="center"))


def _signature(doc: WordDocument, prefix: str = "") -> None:
    """The signature block on the right: place and date, position, a space, name, pangkat, NIP."""
    table = doc.add_table(rows=1, cols=2)
    _widths(table, [85, 85])
    cell = table.rows[0].cells[1]
    cell.paragraphs[0].add_run("{{ " + prefix + "tempat_tanggal }}")
    _para(cell, "{{ " + prefix + "jabatan }}", bold=True)
    _para(cell, "{{ " + prefix + "keterangan_tanda_tangan }}", italic=True, size=9)
    _para(cell, "")
    _para(cell, "{{ " + prefix + "nama }}", bold=True, underline=True)
    _para(cell, "{{ " + prefix + "pangkat }}")
    _para(cell, "NIP. {{ " + prefix + "nip }}")


def _grid(doc: WordDocument, header: list[str], loop: str, cells: list[str], widths: list[float], end: str) -> Table:
    """A bordered table: a shaded header row, then one row repeated by a `{%tr for … %}` loop."""
    table = doc.add_table(rows=4, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell(cell, text, bold=True, size=9, align="center")
        _shade(cell)
    table.rows[1].cells[0].merge(table.rows[1].cells[-1])
    _cell(table.rows[1].cells[0], "{%tr " + loop + " %}")
    for cell, text in zip(table.rows[2].cells, cells, strict=True):
        align = "right" if text.startswith("{{ r.target") or "capaian" in text or "realisasi" in text else "left"
        _cell(cell, text, size=9, align=align)
    table.rows[3].cells[0].merge(table.rows[3].cells[-1])
    _cell(table.rows[3].cells[0], "{%tr " + end + " %}")
    _widths(table, widths)
    return table  # type: ignore[no-any-return]


def nota_dinas() -> WordDocument:
    doc = _document()
    _kop(doc)
    _para(doc, "NOTA DINAS", bold=True, size=13, align="center", underline=True)
    fields = [("Kepada", "kepada"), ("Dari", "dari"), ("Tanggal", "tanggal"), ("Nomor", "nomor"),
              ("Sifat", "sifat"), ("Lampiran", "lampiran"), ("Perihal", "perihal")]  # fmt: skip
    table = doc.add_table(rows=len(fields), cols=3)
    for row, (label, field) in zip(table.rows, fields, strict=True):
        _cell(row.cells[0], label)
        _cell(row.cells[1], ":")
        _cell(row.cells[2], "{{ " + field + " }}")
    _widths(table, [30, 5, 135])
    _rule(_para(doc, ""))
    _para(doc, "{{ pembuka }}", align="justify")
    _grid(
        doc, ["No", "Kegiatan", "Pelaksana", "Waktu", "Output"], "for step in steps",
        ["{{ step.no }}", "{{ step.kegiatan }}", "{{ step.pelaksana }}", "{{ step.waktu }}", "{{ step.output }}"],
        [10, 62, 34, 22, 42], "endfor",
    )  # fmt: skip
    _para(doc, "")
    _para(doc, "{{ batas_waktu }}", align="justify")
    _para(doc, "{{ penutup }}", align="justify")
    _para(doc, "")
    _signature(doc)
    return doc


def laporan() -> WordDocument:
    doc = _document()
    _para(doc, "{{ status }}", bold=True, size=10, align="right")
    _para(doc, "LAPORAN HASIL PENGUKURAN DATA KINERJA", bold=True, size=13, align="center")
    _para(doc, "{{ kop_unit }}", bold=True, size=13, align="center")
    _para(doc, "{{ periode }}", bold=True, size=12, align="center")
    _para(doc, "Target yang digunakan: {{ target_set }}. Kebijakan capaian: {{ policy }}.{{ penyerapan }}", size=10)
    _para(doc, "{%p for group in groups %}")
    _para(doc, "{{ group.code }} · {{ group.name }}", bold=True)
    _grid(
        doc, ["Kode", "Indikator", "Target", "Realisasi", "Capaian", "Predikat"], "for r in group.rows",
        ["{{ r.code }}", "{{ r.name }}", "{{ r.target }}", "{{ r.realisasi }}", "{{ r.capaian }}", "{{ r.predikat }}"],
        [24, 54, 22, 24, 20, 26], "endfor",
    )  # fmt: skip
    average = _para(doc, "Rata-rata capaian {{ group.code }}: {{ group.average }} {{ group.predikat }}", bold=True)
    average.paragraph_format.space_before = Pt(3)
    average.paragraph_format.space_after = Pt(9)
    _para(doc, "{%p endfor %}")
    _para(doc, "Penjelasan capaian di bawah target", bold=True)
    _para(doc, "{%p for r in shortfalls %}")
    _para(doc, "{{ r.code }} {{ r.name }} ({{ r.capaian }}): {{ r.note }}", align="justify").style = "List Bullet"
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if not shortfalls %}")
    _para(doc, "Seluruh indikator yang terukur mencapai target.")
    _para(doc, "{%p endif %}")
    _para(doc, "")
    _signature(doc)
    _para(doc, "SHA-256 dokumen: {{ sha256 }}", size=8)
    return doc


def sop_sheet() -> WordDocument:
    doc = _document(landscape=True)
    header = doc.add_table(rows=6, cols=3)
    header.style = "Table Grid"
    left = header.cell(0, 0).merge(header.cell(5, 0))
    _cell(left, "{{ unit }}", bold=True)
    _para(left, "Standar Operasional Prosedur versi {{ version }} ({{ key }})", size=9)
    labels = [("Nomor SOP", "nomor"), ("Tgl Pembuatan", "tanggal_pembuatan"), ("Tgl Revisi", "tanggal_revisi"),
              ("Tgl Efektif", "tanggal_efektif"), ("Disahkan oleh", "disahkan_oleh"), ("Nama SOP", "nama")]  # fmt: skip
    for n, (label, field) in enumerate(labels):
        _cell(header.cell(n, 1), label, bold=True)
        _cell(header.cell(n, 2), "{{ " + field + " }}", bold=field == "nama")
    _widths(header, [120, 45, 92])
    _para(doc, "")
    boxes = doc.add_table(rows=6, cols=2)
    boxes.style = "Table Grid"
    pairs = [("Dasar Hukum", "dasar_hukum", "Kualifikasi Pelaksana", "kualifikasi_pelaksana"),
             ("Keterkaitan", "keterkaitan", "Peralatan / Perlengkapan", "peralatan"),
             ("Peringatan", "peringatan", "Pencatatan dan Pendataan", "pencatatan")]  # fmt: skip
    for n, (left_label, left_field, right_label, right_field) in enumerate(pairs):
        for column, (label, field) in enumerate(((left_label, left_field), (right_label, right_field))):
            _cell(boxes.cell(2 * n, column), label, bold=True)
            _shade(boxes.cell(2 * n, column))
            content = boxes.cell(2 * n + 1, column)
            if field in ("peringatan", "pencatatan"):
                _cell(content, "{{ " + field + " }}", size=9)
            else:  # a numbered list, one paragraph per item
                _cell(content, "{%p for item in " + field + " %}", size=9)
                _para(content, "{{ loop.index }}. {{ item }}", size=9)
                _para(content, "{%p endfor %}", size=9)
    _widths(boxes, [128, 129])
    doc.add_page_break()  # type: ignore[no-untyped-call]
    _para(doc, "Uraian Prosedur", bold=True, size=12)
    steps = doc.add_table(rows=5, cols=9)
    steps.style = "Table Grid"
    for column in (0, 1, 8):  # No, Kegiatan and Ket span both header rows
        steps.cell(0, column).merge(steps.cell(1, column))
    top, second, body = steps.rows[0].cells, steps.rows[1].cells, steps.rows[3].cells
    for cell, text in zip(top, ["No", "Kegiatan", "Pelaksana", "", "", "Mutu Baku", "", "", "Ket"], strict=True):
        _cell(cell, text, bold=True, size=9, align="center")
        _shade(cell)
    # One "Pelaksana" column per executor role: the {%tc for %} cells repeat, and the header
    # spans as many columns as the SOP has roles.
    top[2].paragraphs[0].runs[0].text = "{% colspan roles|length %}Pelaksana"
    top[3].paragraphs[0].add_run("{%tc if false %}")
    top[4].paragraphs[0].add_run("{%tc endif %}")
    top[5].paragraphs[0].runs[0].text = "{% colspan 3 %}Mutu Baku"
    top[6].paragraphs[0].add_run("{%tc if false %}")
    top[7].paragraphs[0].add_run("{%tc endif %}")
    labels2 = ["", "", "{%tc for r in roles %}", "{{ r }}", "{%tc endfor %}", "Kelengkapan", "Waktu", "Output", ""]
    for column, text in enumerate(labels2):
        if column in (0, 1, 8):
            continue
        _cell(second[column], text, bold=True, size=8, align="center")
        _shade(second[column])
    steps.rows[2].cells[0].merge(steps.rows[2].cells[-1])
    _cell(steps.rows[2].cells[0], "{%tr for step in steps %}")
    texts = ["{{ step.no }}", "{{ step.kegiatan }}", "{%tc for mark in step.marks %}", "{{ mark }}", "{%tc endfor %}",
             "{{ step.kelengkapan }}", "{{ step.waktu }}", "{{ step.output }}", "{{ step.ket }}"]  # fmt: skip
    for cell, text in zip(body, texts, strict=True):
        _cell(cell, text, size=8, align="center" if text in ("{{ mark }}", "{{ step.no }}") else "left")
    steps.rows[4].cells[0].merge(steps.rows[4].cells[-1])
    _cell(steps.rows[4].cells[0], "{%tr endfor %}")
    _widths(steps, [9, 56, 20, 20, 20, 34, 18, 34, 26])
    doc.add_page_break()  # type: ignore[no-untyped-call]
    _para(doc, "Bagan Alur", bold=True, size=12)
    _para(doc, "{{ bagan }}", align="center")
    return doc


def build(directory: Path = HERE) -> list[Path]:
    written = []
    for name, make in (("nota_dinas", nota_dinas), ("laporan", laporan), ("sop_sheet", sop_sheet)):
        path = directory / f"{name}.docx"
        make().save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(f"written {path}")
