"""Errors carry a code and params; the pages translate them by code (web/messages.py).

The raise sites are read with `ast`: every `code="..."` given to a call in workflow/ or web/ must
have an entry in the catalogue table, and every placeholder of that entry (Indonesian and English)
must be a param each raise site passes. Then real errors, raised by the functions that raise
them, are shown in Indonesian and in English: the English is the contract text, byte for byte.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask, session

from web.messages import _TABLE, ENGLISH, ERRORS, localise
from workflow.adapters.evidence import check_count, check_upload
from workflow.domain.indicators import IndicatorError, parse_period
from workflow.domain.limits import NOTE_MAX, free_text
from workflow.errors import Conflict, InvalidInput, WorkflowError, invalid_value

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CODE = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")

# Codes given without a `code="..."` keyword: the default of `invalid_value` and `IndicatorError`.
IMPLICIT = {"value.invalid": {"detail"}}

# What the engine raises (workflow/services/engine.py and its parts), with the params it passes.
ENGINE = {
    "task.finished": {"task", "status"}, "task.finished_by": {"task", "status", "by"},
    "task.finished_by_at": {"task", "status", "by", "at"}, "task.changed": {"task"},
    "instance.moved_on": {"instance", "state"}, "action.unknown": {"action", "task", "actions"},
    "return.needs_note": set(), "rows.only_return": set(), "rows.needs_note": {"indicator"},
    "rows.no_realisasi": {"indicator", "period"}, "rows.not_indicator": {"indicator", "year"},
    "rows.no_owner": {"role"}, "rows.not_triwulan": {"period"}, "rows.no_entry_step": {"step"},
    "realisasi.incomplete": {"period", "listed"}, "document.changed": set(), "reassign.needs_note": set(),
    "reassign.not_holder": {"to", "role"}, "reassign.already_given": {"task", "to"},
    "reassign.task_finished": {"task", "status"}, "reassign.not_allowed": {"user"},
    "task.not_holder": {"user", "role", "task"}, "sop.unknown": {"sop"}, "user.unknown": {"user"},
    "unit.unknown": {"unit"}, "task.unknown": {"task"}, "instance.unknown": {"instance"},
    "instance.already_started": {"sop", "unit", "period"}, "start.missing_roles": {"unit", "roles", "sop"},
    "step.nobody_holds": {"role", "unit", "step"}, "period.invalid": {"detail"}, "transition.refused": {"detail"},
}  # fmt: skip


def raise_sites() -> Iterator[tuple[str, str, set[str] | None]]:
    """(code, where, params) of every call given `code="..."`; params None when it also passes `**`."""
    for folder in ("workflow", "web"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                if not (isinstance(code, ast.Constant) and isinstance(code.value, str)):
                    continue
                names = {k.arg for k in node.keywords if k.arg not in (None, "code")}
                spread = any(k.arg is None for k in node.keywords)
                yield code.value, f"{path.relative_to(ROOT)}:{node.lineno}", None if spread else names


SITES = list(raise_sites())


def placeholders(code: str) -> set[str]:
    indonesian, english = _TABLE[code]
    return set(PLACEHOLDER.findall(indonesian)) | set(PLACEHOLDER.findall(english))


def test_the_scan_finds_the_raise_sites() -> None:
    codes = {code for code, _, _ in SITES}
    # One from each layer that raises: domain, adapters, services, cli, web.
    assert {"note.too_long", "evidence.empty", "template.cannot_fill", "indicator.unknown", "cli.row_format",
            "body.not_object"} <= codes  # fmt: skip


def test_every_code_raised_has_an_entry_whose_placeholders_its_raise_sites_give() -> None:
    missing = sorted({f"{where}: {code}" for code, where, _ in SITES if code not in ERRORS})
    assert missing == []
    short = [
        f"{where}: {code} lacks {sorted(placeholders(code) - params)}"
        for code, where, params in SITES
        if params is not None and not placeholders(code) <= params
    ]
    assert short == []
    # A param its text does not show means the text is another one (the English would differ).
    unused = [
        f"{where}: {code} does not show {sorted(params - placeholders(code))}"
        for code, where, params in SITES
        if params is not None and params - placeholders(code)
    ]
    assert unused == []
    for code, params in IMPLICIT.items():
        assert placeholders(code) <= params


def test_the_engine_codes_have_entries_that_its_params_fill() -> None:
    for code, params in ENGINE.items():
        assert code in ERRORS, code
        assert placeholders(code) <= params, code


def test_codes_are_dotted_lower_case_and_each_msgid_has_one_english() -> None:
    assert [code for code in ERRORS if not CODE.fullmatch(code)] == []
    for code, (indonesian, english) in _TABLE.items():
        assert ENGLISH[indonesian] == english, f"{code}: its Indonesian text is another code's with other English"
        assert set(PLACEHOLDER.findall(indonesian)) <= set(PLACEHOLDER.findall(english)) | {"file"}, code


def test_the_english_catalogue_holds_the_contract_texts() -> None:
    po_path = ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    assert {msgid: po.get(msgid) for msgid in ENGLISH} == ENGLISH, "run web/translations/build.py"


def test_no_regular_expression_reads_message_text_in_the_pages() -> None:
    source = (ROOT / "web" / "messages.py").read_text(encoding="utf-8")
    assert "import re" not in source and "re.compile" not in source


# --- real errors, shown ------------------------------------------------------------------


@pytest.fixture
def app() -> Flask:
    from flask_babel import Babel

    flask_app = Flask(__name__, root_path=str(ROOT / "web"))
    flask_app.config["SECRET_KEY"] = "test"
    Babel(flask_app, locale_selector=lambda: session.get("lang", "id"))
    return flask_app


def shown(app: Flask, error: WorkflowError | IndicatorError | str, lang: str) -> str:
    with app.test_request_context():
        session["lang"] = lang
        return localise(error)


def raised(call: object, *args: object) -> WorkflowError:
    assert callable(call)
    with pytest.raises(WorkflowError) as info:
        call(*args)
    return info.value


def test_real_errors_are_indonesian_on_the_page_and_the_contract_text_in_english(app: Flask) -> None:
    long_note = "x" * (NOTE_MAX + 1)
    cases = [
        (raised(free_text, "note", long_note), "catatan: paling banyak 2.000 karakter (tertulis 2.001)"),
        (raised(free_text, "catatan", long_note), "catatan: paling banyak 2.000 karakter (tertulis 2.001)"),
        (raised(free_text, "rows KL-1", long_note),
         "catatan baris KL-1: paling banyak 2.000 karakter (tertulis 2.001)"),
        (raised(free_text, "note", "a\x07b"), "catatan: berisi karakter kendali U+0007 pada karakter ke-2"),
        (raised(free_text, "reason", "a\x1bb"), "reason: berisi karakter kendali U+001B pada karakter ke-2"),
        (raised(check_upload, "it's.exe", b"MZ..."),
         "bukti dukung \"it's.exe\": jenis berkas .exe tidak diizinkan; pakai PDF, JPG, PNG, XLSX atau DOCX"),
        (raised(check_upload, "kosong.pdf", b""), "bukti dukung 'kosong.pdf': berkas kosong"),
        (raised(check_count, 11), "bukti dukung: 11 berkas melebihi batas 10 berkas per isian"),
    ]  # fmt: skip
    try:
        parse_period("2024-XX")
    except IndicatorError as exc:
        cases.append((invalid_value(exc), "periode: '2024-XX' harus berbentuk TAHUN-TWn, misalnya 2024-TW1"))
    for error, indonesian in cases:
        assert error.code in ERRORS, error.code
        assert shown(app, error, "id") == indonesian
        assert shown(app, error, "en") == str(error)


def test_engine_errors_read_as_the_pages_showed_them_and_english_is_the_contract(app: Flask) -> None:
    # The Indonesian each of these had when the pages matched the English text with patterns.
    cases = [
        (Conflict("task 5 is already done by kasi.pelayanan at 2024-04-01T02:00:00Z", code="task.finished_by_at",
                  task=5, status="done", by="kasi.pelayanan", at="2024-04-01T02:00:00Z"),
         # The page writes the contract's UTC time in the unit's zone (Asia/Jakarta when the task is unknown).
         "tugas 5 sudah selesai oleh kasi.pelayanan pada 1 April 2024 09.00 WIB"),
        (Conflict("task 5 is already return at 2024-05-14T03:05:00Z", code="task.finished_at", task=5,
                  status="return", at="2024-05-14T03:05:00Z"),
         "tugas 5 sudah dikembalikan pada 14 Mei 2024 10.05 WIB"),
        (Conflict("task 5 is already approve", code="task.finished", task=5, status="approve"),
         "tugas 5 sudah disetujui"),
        (Conflict("task 7 was changed by someone else at the same time; reload it", code="task.changed", task=7),
         "tugas 7 diubah orang lain pada saat yang sama; muat ulang halaman"),
        (Conflict("instance 3 has moved on to 'reviu_sekcam'", code="instance.moved_on", instance=3,
                  state="reviu_sekcam"),
         "siklus 3 sudah berpindah ke langkah reviu_sekcam; muat ulang halaman"),
        (InvalidInput("action: 'sign' is not an action of task 4; use one of done, return", code="action.unknown",
                      action="sign", task=4, actions="done, return"),
         "tindakan: 'sign' bukan tindakan tugas 4; pilih salah satu dari done, return"),
        (InvalidInput("to: 'kasubag' does not hold 'asn' in this unit now", code="reassign.not_holder",
                      to="kasubag", role="asn"),
         "kepada: kasubag tidak memegang peran asn di unit ini"),
        (Conflict("task 9 is already return; nothing to reassign", code="reassign.task_finished", task=9,
                  status="return"),
         "tugas 9 sudah dikembalikan; tidak ada yang dialihkan"),
        (InvalidInput("period: s4 runs per triwulan: expected a period like 2024-TW1", code="period.invalid",
                      detail="s4 runs per triwulan: expected a period like 2024-TW1"),
         "periode: s4 runs per triwulan: expected a period like 2024-TW1"),
    ]  # fmt: skip
    for error, indonesian in cases:
        assert shown(app, error, "id") == indonesian
        assert shown(app, error, "en") == str(error)


def test_an_error_without_an_entry_or_without_its_params_is_shown_as_its_message(app: Flask) -> None:
    plain = Conflict("something new happened")
    assert plain.code == "conflict" and shown(app, plain, "id") == "something new happened"
    short = Conflict("task 5 was changed by someone else at the same time; reload it", code="task.changed")
    assert shown(app, short, "id") == str(short)  # a raise site that forgot `task`: never a 500
    assert shown(app, "Tugas 5 dialihkan.", "id") == "Tugas 5 dialihkan."  # not an error: as it is
