"""Text and patterns people write are checked where they are loaded (`FILE:LINE: field: reason`),
and what the engine writes from them stays valid: Nota Dinas patterns, control characters in SOP
and organisation files, and the BPMN and SVG made from a definition (issue #13, finding 7)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import SOP_DIR
from test_sop_validation import MINIMAL, corrupt, errors_of, line_of, write

from workflow.services.org import nota_dinas_pattern_problem, parse_org_file
from workflow.sop.bpmn import export_bpmn
from workflow.sop.flowchart import flowchart_svg
from workflow.sop.spec import SopRegistry, parse_spec
from workflow.sop.yamlsource import SourceErrors

ORG = """\
units:
  - code: mojokerto
    name: Kabupaten Mojokerto
    kind: kabupaten
    nota_dinas_pattern: PATTERN
  - code: kutorejo
    name: Kecamatan Kutorejo
    kind: kecamatan
    parent: mojokerto
    unit_code: "416-307"
people:
  - username: camat
    name: Rahmat Hidayat
    pangkat: Pembina Tk. I (IV/b)
    roles:
      - {unit: kutorejo, role: camat}
"""


def org_errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceErrors) as info:
        parse_org_file(path)
    return [str(e) for e in info.value.errors]


# --- Nota Dinas patterns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("'{seq}/{tahun}'", "unknown field {tahun}"),
        ("'{seq:99999999}'", "{seq:99999999}: only seq and year take a format"),
        ("'{seq.__class__}'", "unknown field {seq.__class__}"),
        ("'{seq[0]}'", "unknown field {seq[0]}"),
        ("'{seq!r}'", "{seq!r}: a conversion is not allowed"),
        ("'{seq:{year}}'", "only seq and year take a format"),
        ("'{seq:>9}'", "only seq and year take a format"),
        ("'{seq:,}'", "only seq and year take a format"),
        ("'{unit_code:05}/{seq}'", "{unit_code:05}: only seq and year take a format"),
        ("'{}/{seq}'", "unknown field {}"),
        ("'{0}/{seq}'", "unknown field {0}"),
        ("'065/{seq'", "is not a pattern"),
        ("'065/}{seq}'", "is not a pattern"),
        ("'065/{unit_code}/{year}'", "must contain {seq}"),
        ("'" + "0" * 100 + "{seq}'", "longer than 100 characters"),
        ('"065/{seq}\\n/{year}"', "control character U+000A"),
    ],
)
def test_a_nota_dinas_pattern_that_cannot_number_is_refused_at_its_line(
    tmp_path: Path, pattern: str, reason: str
) -> None:
    errors = org_errors(tmp_path, ORG.replace("PATTERN", pattern))
    assert len(errors) == 1, errors
    prefix = f"{tmp_path / 'org.yaml'}:5: units[0].nota_dinas_pattern: "
    assert errors[0].startswith(prefix) and reason in errors[0], errors[0]


@pytest.mark.parametrize(
    ("pattern", "number"),
    [
        ("065/{seq}/{unit_code}/{year}", "065/7/416-307/2024"),
        ("{seq:03}/{year}", "007/2024"),
        ("{seq:3}-{year:4}", "  7-2024"),
        ("{{{seq}}}/{unit_code}", "{7}/416-307"),
    ],
)
def test_a_nota_dinas_pattern_of_the_three_fields_with_a_small_width_is_accepted(
    tmp_path: Path, pattern: str, number: str
) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(ORG.replace("PATTERN", f"'{pattern}'"), encoding="utf-8")
    assert parse_org_file(path).units[0].nota_dinas_pattern == pattern
    assert nota_dinas_pattern_problem(pattern) is None
    assert pattern.format(seq=7, unit_code="416-307", year=2024) == number


# --- control characters at load time -----------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\x01", "\\e", "\\0", "\\x7f", "\\x85", "\\uFFFE", "\\r"])
def test_a_control_character_in_an_sop_text_is_refused_at_its_line(tmp_path: Path, escape: str) -> None:
    text = corrupt(MINIMAL, "kegiatan: Tim SAKIP merekap hasil", f'kegiatan: "Tim SAKIP{escape} merekap hasil"')
    path = write(tmp_path, text)
    errors = errors_of(path)
    line = line_of(text, 'kegiatan: "Tim SAKIP')
    assert len(errors) == 1 and errors[0].startswith(f"{path}:{line}: steps[0].kegiatan: "), errors
    assert "control character U+" in errors[0]


def test_a_control_character_in_an_sop_list_item_or_a_key_is_refused_or_shown_escaped(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "kelengkapan: [Kertas Kerja]", 'kelengkapan: ["Kertas\\x1b[2J Kerja"]')
    text = corrupt(text, "    output: Rekapitulasi\n", '    output: Rekapitulasi\n    "out\\x1bput": x\n')
    path = write(tmp_path, text)
    errors = errors_of(path)
    prefix = f"{path}:{line_of(text, 'kelengkapan: [')}: steps[0].kelengkapan[0]: "
    assert any(e.startswith(prefix) and "U+001B" in e for e in errors), errors
    assert any(e.endswith("steps[0].'out\\x1bput': unknown field") for e in errors), errors
    assert all("\x1b" not in e for e in errors)  # a message never carries the character itself


def test_tab_and_newline_are_allowed_in_sop_text(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "  peringatan: Apabila tidak dilakukan maka data kinerja akan diragukan",
                   '  peringatan: "Apabila tidak dilakukan\\n\\tmaka data kinerja akan diragukan"')  # fmt: skip
    assert parse_spec(write(tmp_path, text)).header.peringatan.endswith("\n\tmaka data kinerja akan diragukan")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("    name: Kecamatan Kutorejo\n", '    name: "Kecamatan\\x07 Kutorejo"\n', "units[1].name"),
        ("    name: Rahmat Hidayat\n", '    name: "Rahmat\\nHidayat"\n', "people[0].name"),  # one line
        ("    pangkat: Pembina Tk. I (IV/b)\n", '    pangkat: "Pembina\\tTk. I"\n', "people[0].pangkat"),
        ('    unit_code: "416-307"\n', '    unit_code: "416-307\\x00"\n', "units[1].unit_code"),
    ],
)
def test_a_control_character_in_organisation_text_is_refused_at_its_line(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    text = ORG.replace("PATTERN", "'065/{seq}'")
    assert text.count(old) == 1
    text = text.replace(old, new)
    line = text.splitlines().index(new.rstrip("\n")) + 1
    errors = org_errors(tmp_path, text)
    assert errors[0].startswith(f"{tmp_path / 'org.yaml'}:{line}: {field}: "), errors  # (a unit refused: more follow)
    assert "control character U+" in errors[0]


def test_a_control_character_in_a_unit_calendar_is_refused(tmp_path: Path) -> None:
    text = ORG.replace("PATTERN", "'065/{seq}'").replace(
        '    unit_code: "416-307"\n',
        '    unit_code: "416-307"\n    calendar:\n      days_off:\n        - {date: 2024-03-11, name: "Nyepi\\x1b"}\n',
    )
    errors = org_errors(tmp_path, text)
    line = text.splitlines().index("    calendar:") + 1
    assert len(errors) == 1 and errors[0].startswith(f"{tmp_path / 'org.yaml'}:{line}: units[1].calendar: "), errors
    assert "U+001B" in errors[0]


# --- the XML the engine writes -----------------------------------------------------------------

NOT_XML = "\x00\x01\x08\x0b\x0c\x1b\x1f\ufffe\uffff\ud800"


def _spec_with_control_characters() -> object:
    """An SOP whose texts hold characters XML 1.0 cannot (as loaded before the check existed)."""
    spec = SopRegistry.from_directory(SOP_DIR).get("pengukuran-data-kinerja")
    header = dataclasses.replace(spec.header, nama=f"Pengukuran{NOT_XML} Data Kinerja", nomor=f"065/{NOT_XML}")
    roles = tuple(dataclasses.replace(r, column=f"{r.column}\x1b") for r in spec.roles)
    steps = tuple(
        dataclasses.replace(s, nama=f"{s.nama}\x01", kegiatan=f"{s.kegiatan}{NOT_XML}", output=f"\x0c{s.output}")
        for s in spec.steps
    )
    return dataclasses.replace(spec, header=header, roles=roles, steps=steps)


def test_the_bpmn_export_is_well_formed_xml_whatever_text_reached_it() -> None:
    spec = _spec_with_control_characters()
    xml = export_bpmn(spec)  # type: ignore[arg-type]
    root = ET.fromstring(xml)  # raises ParseError on a character XML 1.0 does not allow
    names = [e.get("name") or "" for e in root.iter()]
    assert any(n == "Pengukuran Data Kinerja" for n in names)  # the characters dropped, the text kept
    assert not any(c in xml.decode("utf-8") for c in "\x00\x01\x1b\x0c")


def test_the_bagan_alur_svg_is_well_formed_xml_whatever_text_reached_it() -> None:
    svg = flowchart_svg(_spec_with_control_characters())  # type: ignore[arg-type]
    root = ET.fromstring(svg)
    assert "Bagan alur Pengukuran Data Kinerja" in (root.get("aria-label") or "")
