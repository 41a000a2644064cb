"""Text people write, kept printable: what the loaders refuse and what the XML writers drop.

Definition and organisation files are refused at load time when a text holds a control
character (`control_problem`): such a character has no place on a printed SOP sheet or in a
name, it breaks the XML of the BPMN export, and it can rewrite a terminal that prints it.
The XML writers still pass every text through `xml_safe`, so their output is well-formed XML
1.0 whatever reached them (text loaded before this check, or a value from elsewhere).
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, lone surrogates and the two non-characters.
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same, and tab and newline too: for one-line fields (names, codes, patterns).
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Every character XML 1.0 does not allow (its `Char` production, inverted).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def control_character(text: str, multiline: bool = False) -> tuple[str, int] | None:
    """The first control character in TEXT (`U+0007`) and its position (from 1), or None."""
    found = (_CONTROL_MULTILINE if multiline else _CONTROL_ONE_LINE).search(text)
    return None if found is None else (f"U+{ord(found.group()):04X}", found.start() + 1)


def control_problem(text: str, multiline: bool = False) -> str | None:
    """Why TEXT may not be stored (the first control character in it), or None if it may.

    MULTILINE allows tab and newline (texts that may span lines); otherwise they are refused too.
    """
    found = control_character(text, multiline)
    if found is None:
        return None
    return f"contains the control character {found[0]} at character {found[1]}"


def shown(text: str) -> str:
    """TEXT as it may appear in a message: as written, or its repr when it holds a control character."""
    return text if control_problem(text) is None else repr(text)


def xml_safe(text: str) -> str:
    """TEXT without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)
