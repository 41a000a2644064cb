"""How long the texts people type may be, checked where the engine stores them.

Every free text the service layer stores (action and return notes, a returned row's note, a
realisasi note, the reason of a reassignment or a target switch) holds at most `NOTE_MAX`
characters; a number as typed at most `NUMBER_MAX`. Names and other short fields of the
organisation and SOP files have their own limits (`NAME_MAX`, `SHORT_MAX`, `STEP_TEXT_MAX`). A text
over its limit, or one holding a control character, is refused with `InvalidInput` naming the
field (CLI exit 5, API 422, an inline message on the page) and nothing is written.

2,000 characters is about a page of A4: more than any note in the seeds' LKjIP tables, and
small enough that a Laporan or bukti dukung whose every row carries one renders in well under a
second (bench/b6_documents.py).
"""

from __future__ import annotations

from workflow.domain.plaintext import control_character
from workflow.errors import InvalidInput

NOTE_MAX = 2_000  # a note, a returned row's note, a reason
NUMBER_MAX = 64  # a number as typed: `2.975.061.600,00`, `405/410`
NAME_MAX = 200  # a person's, unit's, indicator's or SOP's name
SHORT_MAX = 64  # a username, code, NIP, pangkat, role or seksi key
STEP_TEXT_MAX = 2_000  # a step's kegiatan, output, kelengkapan item; an SOP header text


def grouped(number: int) -> str:
    """`2.000`: thousands grouped the Indonesian way, as every number the users read."""
    return f"{number:,}".replace(",", ".")


_digits = grouped


def too_long(value: str, limit: int) -> str | None:
    """Why VALUE is too long for LIMIT, or None."""
    if len(value) > limit:
        return f"at most {_digits(limit)} characters, {_digits(len(value))} given"
    return None


def free_text(field: str, value: str | None, limit: int = NOTE_MAX) -> str | None:
    """VALUE stripped (None when empty), or InvalidInput naming FIELD: too long or a control character."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    problem = too_long(text, limit)
    if problem is not None:
        limit_s, given = _digits(limit), _digits(len(text))
        if field == "note":
            raise InvalidInput(f"{field}: {problem}", code="note.too_long", limit=limit_s, given=given)
        if field.startswith("rows "):  # a returned row's note: `rows CODE`
            raise InvalidInput(f"{field}: {problem}", code="rows.note_too_long", indicator=field[5:], limit=limit_s,
                               given=given)  # fmt: skip
        raise InvalidInput(f"{field}: {problem}", code="text.too_long", field=field, limit=limit_s, given=given)
    found = control_character(text, multiline=True)
    if found is not None:
        char, position = found
        problem = f"contains the control character {char} at character {position}"
        if field == "note":
            raise InvalidInput(f"{field}: {problem}", code="note.control_character", char=char, position=position)
        if field.startswith("rows "):
            raise InvalidInput(f"{field}: {problem}", code="rows.note_control_character", indicator=field[5:],
                               char=char, position=position)  # fmt: skip
        raise InvalidInput(f"{field}: {problem}", code="text.control_character", field=field, char=char,
                           position=position)  # fmt: skip
    return text
