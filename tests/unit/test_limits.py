"""Every text has a length limit where the engine takes it in (issue #13, finding 2): free text
in the service layer (`free_text`), names and short fields in the organisation and SOP files
(`FILE:LINE: field: at most N characters, M given`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sop_validation import MINIMAL, corrupt, errors_of, line_of, write
from test_text_and_patterns import ORG, org_errors

from workflow.domain.limits import NOTE_MAX, STEP_TEXT_MAX, free_text, too_long
from workflow.errors import InvalidInput


def test_free_text_is_stripped_limited_and_free_of_control_characters() -> None:
    assert free_text("note", "  Mohon diperbaiki \n") == "Mohon diperbaiki"
    assert free_text("note", "   ") is None and free_text("note", None) is None
    assert free_text("note", "a\nb\tc") == "a\nb\tc"  # a note may span lines
    assert free_text("note", "x" * NOTE_MAX) == "x" * NOTE_MAX
    with pytest.raises(InvalidInput, match=r"^note: at most 2\.000 characters, 2\.001 given$"):
        free_text("note", "x" * (NOTE_MAX + 1))
    with pytest.raises(InvalidInput, match=r"^rows KL-1: contains the control character U\+0000 at character 2$"):
        free_text("rows KL-1", "a\x00b")
    assert too_long("abc", 3) is None and too_long("abcd", 3) == "at most 3 characters, 4 given"


@pytest.mark.parametrize(
    ("old", "new", "field", "limit"),
    [
        ("name: Kecamatan Kutorejo", "name: " + "K" * 201, "units[1].name", 200),
        ("code: kutorejo", "code: " + "k" * 65, "units[1].code", 64),
        ('unit_code: "416-307"', 'unit_code: "' + "4" * 33 + '"', "units[1].unit_code", 32),
        ("name: Rahmat Hidayat", "name: " + "R" * 201, "people[0].name", 200),
        ("pangkat: Pembina Tk. I (IV/b)", "pangkat: " + "P" * 101, "people[0].pangkat", 100),
    ],
)
def test_an_org_text_longer_than_its_field_is_refused_at_its_line(
    tmp_path: Path, old: str, new: str, field: str, limit: int
) -> None:
    text = ORG.replace("PATTERN", "'{seq}/{year}'")
    changed = corrupt(text, old, new)
    errors = org_errors(tmp_path, changed)
    line = line_of(changed, new[:20])
    assert any(
        e.startswith(f"{tmp_path / 'org.yaml'}:{line}: {field}: at most {limit} characters, ") for e in errors
    ), errors


def test_an_sop_text_longer_than_its_field_is_refused_at_its_line(tmp_path: Path) -> None:
    long_name = "nama: " + "N" * 301
    changed = corrupt(MINIMAL, "  nama: Contoh SOP", "  " + long_name)
    errors = errors_of(write(tmp_path, changed))
    assert any(f":{line_of(changed, long_name)}: header.nama: at most 300 characters, 301 given" in e for e in errors)
    long_step = "kegiatan: " + "k" * (STEP_TEXT_MAX + 1)
    changed = corrupt(MINIMAL, "    kegiatan: Tim SAKIP merekap hasil", "    " + long_step)
    errors = errors_of(write(tmp_path, changed))
    assert any(f":{line_of(changed, long_step)}: steps[0].kegiatan: at most 2.000 characters, 2.001 given" in e
               for e in errors), errors  # fmt: skip
