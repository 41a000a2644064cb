"""Broken definition files are refused with `FILE:LINE: field: reason`, every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.sop.spec import SopRegistry, StepKind, parse_spec
from workflow.sop.yamlsource import SourceError, SourceErrors, load_yaml

REPO = Path(__file__).resolve().parents[2]
S4_FILE = REPO / "sop_definitions" / "pengukuran-data-kinerja.v1.yaml"

# A small valid definition; each test corrupts a copy of it.
MINIMAL = """\
key: contoh-sop
version: 1
periode: triwulan
header:
  nomor: "065/ 1 /416-307/2024"
  nama: Contoh SOP
  tanggal_pembuatan: 2 Januari 2024
  tanggal_efektif: 2 Januari 2024
  disahkan_oleh: Camat Contoh
  dasar_hukum: [Peraturan Presiden Nomor 29 Tahun 2014]
  kualifikasi_pelaksana: [Mampu mengoperasikan komputer]
  keterkaitan: [SOP Pengukuran Data Kinerja]
  peralatan: [Renja]
  peringatan: Apabila tidak dilakukan maka data kinerja akan diragukan
  pencatatan: Kertas Kerja
  source: "002:1372-1384"
roles:
  - {column: Tim SAKIP, role: tim_sakip}
  - {column: Sekretaris Camat, role: sekcam}
  - {column: Camat, role: camat}
steps:
  - id: rekap
    no: "1"
    nama: Rekap hasil
    kegiatan: Tim SAKIP merekap hasil
    pelaksana: tim_sakip
    kolom: Tim SAKIP
    kind: task
    kelengkapan: [Kertas Kerja]
    waktu: 120 menit
    output: Rekapitulasi
    source: "002:1397"
  - id: reviu
    no: "2"
    nama: Reviu Sekretaris Camat
    kegiatan: Sekretaris Camat menganalisa rekap
    pelaksana: sekcam
    kolom: Sekretaris Camat
    kind: review
    return_to: rekap
    kelengkapan: [Rekapitulasi]
    waktu: 60 Menit
    output: Laporan
    source: "002:1399"
  - id: lapor
    no: "3"
    nama: Laporan kepada Camat
    kegiatan: Sekretaris Camat melaporkan kepada Camat
    pelaksana: sekcam
    kolom: Sekretaris Camat
    kind: task
    kelengkapan: [Laporan]
    waktu: 30 Menit
    output: Laporan
    source: "002:1400"
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the OCCURRENCE-th line of TEXT containing NEEDLE."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


def corrupt(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of OLD; fail if it is not there exactly once."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "contoh-sop.v1.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    """The lines of the SourceErrors parse_spec raises for PATH."""
    with pytest.raises(SourceErrors) as info:
        parse_spec(path)
    lines = [str(error) for error in info.value.errors]
    assert str(info.value) == "\n".join(lines)
    return lines


def assert_errors(lines: list[str], expected: list[tuple[Path, int, str, str]]) -> None:
    """LINES are exactly EXPECTED: (file, line, field, a fragment of the reason), in order."""
    assert len(lines) == len(expected), "\n".join(lines)
    for actual, (file, line, field, fragment) in zip(lines, expected, strict=True):
        prefix = f"{file}:{line}: {field}: "
        assert actual.startswith(prefix), f"{actual!r} does not start with {prefix!r}"
        assert fragment in actual[len(prefix) :], f"{fragment!r} not in {actual!r}"


def test_the_minimal_definition_is_valid(tmp_path: Path) -> None:
    spec = parse_spec(write(tmp_path, MINIMAL))

    assert (spec.key, spec.version, spec.periode) == ("contoh-sop", 1, "triwulan")
    assert [(s.id, s.kind, s.return_to) for s in spec.steps] == [
        ("rekap", StepKind.TASK, None),
        ("reviu", StepKind.REVIEW, "rekap"),
        ("lapor", StepKind.TASK, None),
    ]


def test_a_copy_of_a_real_definition_is_valid(tmp_path: Path) -> None:
    spec = parse_spec(write(tmp_path, S4_FILE.read_text(encoding="utf-8")))

    assert spec.key == "pengukuran-data-kinerja"
    assert len(spec.steps) == 11


def test_source_error_prints_as_file_line_field_reason() -> None:
    error = SourceError("sop.yaml", 12, "steps[0].waktu", "cannot read '3 bulan'")

    assert str(error) == "sop.yaml:12: steps[0].waktu: cannot read '3 bulan'"
    assert str(SourceErrors([error, error])) == f"{error}\n{error}"


def test_unknown_waktu_3_bulan_is_reported_at_the_waktu_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "waktu: 60 Menit", "waktu: 3 bulan")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "waktu: 3 bulan"), "steps[1].waktu", "'3 bulan'")])


def test_unknown_waktu_in_a_copy_of_a_real_definition_is_reported_at_its_line(tmp_path: Path) -> None:
    # 002:1395: step 6 "1 Hari", here misprinted as a month
    real = S4_FILE.read_text(encoding="utf-8")
    text = real.replace("waktu: 1 Hari", "waktu: 3 bulan", 3).replace("waktu: 3 bulan", "waktu: 1 Hari", 2)
    assert text.count("waktu: 3 bulan") == 1
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "waktu: 3 bulan"), "steps[5].waktu", "'3 bulan'")])


def test_pelaksana_not_among_the_sop_roles_is_reported_at_the_pelaksana_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("pelaksana: sekcam", "pelaksana: kasi", 1)
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "pelaksana: kasi"), "steps[1].pelaksana", "'kasi' is not one of this SOP's")],
    )


def test_review_step_without_return_to_is_reported_at_the_step_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "    return_to: rekap\n", "")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "- id: reviu"), "steps[1].return_to", "a review step must name the step")],
    )


def test_return_to_on_a_step_that_is_not_a_review_is_rejected(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "    waktu: 30 Menit\n", "    waktu: 30 Menit\n    return_to: rekap\n")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "return_to: rekap", 2), "steps[2].return_to", "only a review step")],
    )


def test_return_to_naming_a_later_step_is_rejected_at_the_return_to_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "return_to: rekap", "return_to: lapor")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path), [(path, line_of(text, "return_to: lapor"), "steps[1].return_to", "must name an earlier step")]
    )


def test_return_to_naming_the_review_itself_is_rejected(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "return_to: rekap", "return_to: reviu")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path), [(path, line_of(text, "return_to: reviu"), "steps[1].return_to", "must name an earlier step")]
    )


def test_return_to_naming_an_unknown_step_is_rejected_at_the_return_to_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "return_to: rekap", "return_to: rekapitulasi")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "return_to: rekapitulasi"), "steps[1].return_to", "no step 'rekapitulasi'")],
    )


def test_return_to_a_later_step_in_a_copy_of_a_real_definition_is_rejected(tmp_path: Path) -> None:
    # S4 step 9 (002:1399) returns to the rekap; pointing it at step 10 would loop forward.
    text = corrupt(S4_FILE.read_text(encoding="utf-8"), "return_to: rekap", "return_to: lapor_camat")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "return_to: lapor_camat"), "steps[8].return_to", "must name an earlier step")],
    )


def test_duplicate_step_id_is_reported_at_the_second_id(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "- id: lapor", "- id: rekap")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path), [(path, line_of(text, "- id: rekap", 2), "steps[2].id", "duplicate step id 'rekap'")]
    )


def test_misspelt_field_kegitan_is_unknown_and_kegiatan_is_missing(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "kegiatan: Sekretaris Camat melaporkan", "kegitan: Sekretaris Camat melaporkan")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [
            (path, line_of(text, "kegitan:"), "steps[2].kegitan", "unknown field"),
            # the field is absent, so the step itself is pointed at
            (path, line_of(text, "- id: lapor"), "steps[2].kegiatan", "is required"),
        ],
    )


def test_unknown_top_level_and_header_fields_are_reported(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "periode: triwulan\n", "periode: triwulan\nperiod: tahunan\n")
    text = corrupt(text, "  pencatatan: Kertas Kerja\n", "  pencatatan: Kertas Kerja\n  pencatatn: Kertas Kerja\n")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [
            (path, line_of(text, "period: tahunan"), "period", "unknown field"),
            (path, line_of(text, "pencatatn:"), "header.pencatatn", "unknown field"),
        ],
    )


def test_missing_waktu_without_resolution_is_reported_at_the_step_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "    waktu: 30 Menit\n", "")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "- id: lapor"), "steps[2].waktu", "is blank")])


def test_empty_waktu_without_resolution_is_reported_at_the_waktu_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "waktu: 30 Menit", 'waktu: ""')
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, 'waktu: ""'), "steps[2].waktu", "is blank")])


def test_blank_waktu_with_a_resolution_is_accepted_as_no_time_standard(tmp_path: Path) -> None:
    text = corrupt(
        MINIMAL, "    waktu: 30 Menit\n", "    resolution: The seed leaves waktu blank; there is no due time.\n"
    )
    spec = parse_spec(write(tmp_path, text))

    assert spec.step("lapor").waktu is None
    assert spec.step("lapor").resolution == "The seed leaves waktu blank; there is no due time."


def test_blank_executor_column_without_resolution_is_reported_at_the_step_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "    kolom: Sekretaris Camat\n    kind: task\n", "    kind: task\n")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path), [(path, line_of(text, "- id: lapor"), "steps[2].resolution", "executor column is blank")]
    )


def test_blank_executor_column_in_a_copy_of_a_real_definition_needs_its_resolution(tmp_path: Path) -> None:
    # 002:1398: step 8's executor column is blank; the YAML records why Tim SAKIP does it.
    line = "    resolution: The executor column is blank in the seed; the text names Tim SAKIP.\n"
    text = corrupt(S4_FILE.read_text(encoding="utf-8"), line, "")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "- id: lapor_rekap"), "steps[7].resolution", "executor column is blank")],
    )


def test_executor_column_other_than_the_pelaksana_column_needs_a_resolution(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "    kolom: Sekretaris Camat\n    kind: task\n", "    kolom: Camat\n    kind: task\n")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [(path, line_of(text, "kolom: Camat"), "steps[2].resolution", "the seed marks column 'Camat' but pelaksana")],
    )


def test_unknown_role_in_roles_is_reported_at_its_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "role: camat}", "role: lurah}")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "role: lurah"), "roles[2].role", "unknown role 'lurah'")])


def test_role_given_two_columns_is_rejected(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "{column: Camat, role: camat}", "{column: Camat, role: sekcam}")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path), [(path, line_of(text, "column: Camat"), "roles[2].role", "role 'sekcam' has two columns")]
    )


def test_yaml_syntax_error_is_reported_at_the_line_yaml_names(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "  nama: Contoh SOP\n", "  nama: Contoh SOP\n   unit: SUB BAGIAN\n")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "   unit: SUB BAGIAN"), "yaml", "not allowed")])


def test_yaml_tab_indentation_is_reported_at_its_line(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "  peralatan: [Renja]\n", "\tperalatan: [Renja]\n")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "\tperalatan"), "yaml", "'\\t'")])


def test_duplicate_key_is_a_yaml_error_at_the_second_key(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "  nama: Contoh SOP\n", "  nama: Contoh SOP\n  nama: Contoh Lain\n")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "nama: Contoh Lain"), "yaml", "duplicate key 'nama'")])


def test_duplicate_key_inside_a_step_is_reported(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "    waktu: 120 menit\n", "    waktu: 120 menit\n    waktu: 60 menit\n")
    path = write(tmp_path, text)

    assert_errors(errors_of(path), [(path, line_of(text, "waktu: 60 menit"), "yaml", "duplicate key 'waktu'")])


def test_the_same_key_and_version_in_two_files_is_refused(tmp_path: Path) -> None:
    real = S4_FILE.read_text(encoding="utf-8")
    first = write(tmp_path, real, "a-pengukuran.v1.yaml")
    second = write(tmp_path, real, "b-pengukuran-copy.v1.yaml")

    with pytest.raises(SourceErrors) as info:
        SopRegistry.from_paths([second, first])

    [error] = info.value.errors
    # Files are read in sorted order, so the second one is the duplicate and names the first.
    assert error.file == str(second)
    assert error.field == "version"
    assert error.reason == f"pengukuran-data-kinerja v1 is also defined in {first}"
    assert error.line == line_of(real, "version: 1")


def test_the_same_key_in_two_files_with_different_versions_is_two_versions(tmp_path: Path) -> None:
    v1 = write(tmp_path, MINIMAL, "contoh-sop.v1.yaml")
    v2 = write(tmp_path, corrupt(MINIMAL, "version: 1", "version: 2"), "contoh-sop.v2.yaml")

    registry = SopRegistry.from_paths([v1, v2])

    assert [(s.key, s.version) for s in registry.all()] == [("contoh-sop", 1), ("contoh-sop", 2)]
    assert registry.get("contoh-sop").version == 2
    assert registry.get("contoh-sop", 1).source_file == str(v1)


def test_a_key_named_no_is_read_as_the_text_no_not_as_false(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `no` as False; as a key it must stay the field name.
    data, _ = load_yaml(write(tmp_path, "no: 1\nyes: 2\non: 3\n", "keys.yaml"))

    assert data == {"no": 1, "yes": 2, "on": 3}
    assert False not in data


def test_the_step_field_no_is_found_when_its_value_is_unquoted(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, 'no: "1"', "no: 1")
    spec = parse_spec(write(tmp_path, text))

    assert spec.step("rekap").no == "1"
    assert [s.no for s in spec.steps] == ["1", "2", "3"]


def test_key_lines_are_remembered_for_nested_mappings_and_list_items(tmp_path: Path) -> None:
    data, text = load_yaml(write(tmp_path, MINIMAL))

    assert text == MINIMAL
    assert data.line_of("steps") == line_of(MINIMAL, "steps:")
    assert data["steps"].line_of(1) == line_of(MINIMAL, "- id: reviu")
    assert data["steps"][1].line_of("return_to") == line_of(MINIMAL, "return_to: rekap")
    assert data["roles"][2].line_of("role") == line_of(MINIMAL, "role: camat")


def test_all_errors_in_one_file_are_reported_together(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "version: 1", "version: 0")
    text = corrupt(text, 'source: "002:1372-1384"', 'source: "002-1372"')
    text = corrupt(text, "role: camat}", "role: lurah}")
    text = corrupt(text, "    output: Rekapitulasi\n", "    output: Rekapitulasi\n    ouput: Rekapitulasi\n")
    text = corrupt(text, "return_to: rekap", "return_to: reviu")
    text = corrupt(text, "waktu: 30 Menit", "waktu: 3 bulan")
    text = corrupt(text, "kegiatan: Sekretaris Camat melaporkan", "kegitan: Sekretaris Camat melaporkan")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [
            (path, line_of(text, "version: 0"), "version", "whole number from 1"),
            (path, line_of(text, 'source: "002-1372"'), "header.source", "must look like"),
            (path, line_of(text, "role: lurah"), "roles[2].role", "unknown role 'lurah'"),
            (path, line_of(text, "ouput:"), "steps[0].ouput", "unknown field"),
            (path, line_of(text, "kegitan:"), "steps[2].kegitan", "unknown field"),
            (path, line_of(text, "- id: lapor"), "steps[2].kegiatan", "is required"),
            (path, line_of(text, "waktu: 3 bulan"), "steps[2].waktu", "'3 bulan'"),
            (path, line_of(text, "return_to: reviu"), "steps[1].return_to", "must name an earlier step"),
        ],
    )


def test_errors_in_several_steps_are_all_reported(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "waktu: 60 Menit", "waktu: 3 bulan")
    text = corrupt(
        text,
        "    pelaksana: sekcam\n    kolom: Sekretaris Camat\n    kind: task",
        "    pelaksana: kasi\n    kolom: Sekretaris Camat\n    kind: task",
    )
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [
            (path, line_of(text, "waktu: 3 bulan"), "steps[1].waktu", "'3 bulan'"),
            (path, line_of(text, "pelaksana: kasi"), "steps[2].pelaksana", "'kasi' is not one of this SOP's"),
        ],
    )


def test_a_return_to_error_names_the_review_by_its_place_in_the_file_after_an_earlier_step_is_dropped(
    tmp_path: Path,
) -> None:
    # Step 0 fails its own checks and is left out of the cross-step checks; the review is still steps[1].
    text = corrupt(MINIMAL, "waktu: 120 menit", "waktu: 3 bulan")
    text = corrupt(text, "return_to: rekap", "return_to: reviu")
    path = write(tmp_path, text)

    assert_errors(
        errors_of(path),
        [
            (path, line_of(text, "waktu: 3 bulan"), "steps[0].waktu", "'3 bulan'"),
            (path, line_of(text, "return_to: reviu"), "steps[1].return_to", "must name an earlier step"),
        ],
    )


def test_the_archive_step_of_a_real_definition_without_resolution_reports_both_gaps(tmp_path: Path) -> None:
    # 002:1401: executor and waktu are blank; without the resolution both are errors at the step line.
    real = S4_FILE.read_text(encoding="utf-8")
    start = real.index("    resolution: >-\n      The seed leaves executor, waktu and output blank.")
    text = real[:start]
    path = write(tmp_path, text)

    step_line = line_of(text, "- id: arsip")
    assert_errors(
        errors_of(path),
        [
            (path, step_line, "steps[10].waktu", "is blank"),
            (path, step_line, "steps[10].resolution", "executor column is blank"),
        ],
    )


def test_registry_reports_the_errors_of_every_broken_file(tmp_path: Path) -> None:
    bad_waktu = corrupt(MINIMAL, "waktu: 60 Menit", "waktu: 3 bulan")
    bad_role = corrupt(corrupt(MINIMAL, "role: camat}", "role: lurah}"), "key: contoh-sop", "key: contoh-lain")
    first = write(tmp_path, bad_waktu, "a.v1.yaml")
    second = write(tmp_path, bad_role, "b.v1.yaml")
    good = write(tmp_path, corrupt(MINIMAL, "key: contoh-sop", "key: contoh-baik"), "c.v1.yaml")

    with pytest.raises(SourceErrors) as info:
        SopRegistry.from_paths([good, second, first])

    assert_errors(
        [str(e) for e in info.value.errors],
        [
            (first, line_of(bad_waktu, "waktu: 3 bulan"), "steps[1].waktu", "'3 bulan'"),
            (second, line_of(bad_role, "role: lurah"), "roles[2].role", "unknown role 'lurah'"),
        ],
    )


def test_a_return_target_with_an_error_of_its_own_is_not_also_reported_missing(tmp_path: Path) -> None:
    real = S4_FILE.read_text(encoding="utf-8")
    text = corrupt(real, "    kegiatan: Tim SAKIP merekap", "    kegitan: Tim SAKIP merekap")
    path = write(tmp_path, text, "pengukuran.v1.yaml")

    errors = errors_of(path)

    assert any(": steps[6].kegitan: unknown field" in e for e in errors)
    assert not any("return_to" in e for e in errors), errors
