"""The bagan alur (flowchart) of an SOP version as SVG, drawn from its definition.

The layout follows the SOP sheets of the seeds: one column per executor role, one row per
step, a process box for a task, a diamond for a review (its "Tidak" arrow goes back to the
step it returns to), and the start and end as rounded terminators. Given the done steps and
the current step of an instance, those are highlighted. No JavaScript and no network: the SVG
is a string that a page embeds and a PDF renders.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from workflow.domain.plaintext import xml_safe
from workflow.sop.spec import SopSpec, StepKind

COL_W = 150
TEXT_W = 280
HEAD_H = 44
ROW_H = 78
BOX_W = 118
BOX_H = 46
DONE_FILL = "#d1e7dd"
CURRENT_FILL = "#fff3cd"
CURRENT_STROKE = "#fd7e14"


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True)[:3] or [""]


def _text(x: float, y: float, lines: list[str], size: int = 11, anchor: str = "middle", weight: str = "") -> str:
    start = y - (len(lines) - 1) * (size + 2) / 2
    spans = "".join(
        f'<tspan x="{x:.0f}" y="{start + i * (size + 2):.0f}">{escape(xml_safe(line))}</tspan>'
        for i, line in enumerate(lines)
    )
    bold = f' font-weight="{weight}"' if weight else ""
    return f'<text font-size="{size}" text-anchor="{anchor}" dominant-baseline="middle"{bold}>{spans}</text>'


def flowchart_svg(spec: SopSpec, done: Iterable[str] = (), current: str | None = None, title: bool = True) -> str:
    """SVG of SPEC's bagan alur; DONE step ids are green, the CURRENT step orange."""
    done_set = set(done)
    columns = list(spec.roles)
    col_of = {c.role: i for i, c in enumerate(columns)}
    width = TEXT_W + COL_W * len(columns)
    top = HEAD_H + (24 if title else 0)
    height = top + ROW_H * len(spec.steps) + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={quoteattr(xml_safe("Bagan alur " + spec.nama))} font-family="sans-serif">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#333'/></marker></defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    if title:
        parts.append(_text(width / 2, 14, [f"Bagan alur: {spec.nama} (v{spec.version})"], 13, weight="bold"))
    y0 = top - HEAD_H
    parts.append(f'<rect x="0" y="{y0}" width="{width}" height="{HEAD_H}" fill="#e9ecef" stroke="#999"/>')
    parts.append(_text(TEXT_W / 2, y0 + HEAD_H / 2, ["Kegiatan"], 12, weight="bold"))
    for i, column in enumerate(columns):
        x = TEXT_W + i * COL_W
        parts.append(f'<line x1="{x}" y1="{y0}" x2="{x}" y2="{height - 8}" stroke="#bbb"/>')
        parts.append(_text(x + COL_W / 2, y0 + HEAD_H / 2, _lines(column.column, 20), 11, weight="bold"))
    centres: dict[str, tuple[float, float]] = {}
    for row, step in enumerate(spec.steps):
        y = top + row * ROW_H
        cy = y + ROW_H / 2
        parts.append(f'<line x1="0" y1="{y + ROW_H}" x2="{width}" y2="{y + ROW_H}" stroke="#eee"/>')
        parts.append(_text(8, cy, _lines(f"{step.no} {step.nama}", 44), 11, anchor="start"))
        col = col_of.get(step.pelaksana, 0)
        cx = TEXT_W + col * COL_W + COL_W / 2
        centres[step.id] = (cx, cy)
        fill, stroke, stroke_w = "#fff", "#333", 1.2
        state = ""
        if step.id == current:
            fill, stroke, stroke_w, state = CURRENT_FILL, CURRENT_STROKE, 3, "current"
        elif step.id in done_set:
            fill, state = DONE_FILL, "done"
        attrs = (
            f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_w}" data-step={quoteattr(step.id)} '
            f'data-state="{state}"'
        )
        if step.kind is StepKind.REVIEW:
            hw, hh = BOX_W / 2, BOX_H / 2 + 6
            parts.append(f'<polygon points="{cx},{cy - hh} {cx + hw},{cy} {cx},{cy + hh} {cx - hw},{cy}" {attrs}/>')
        else:
            rx = 22 if row in (0, len(spec.steps) - 1) else 4
            parts.append(
                f'<rect x="{cx - BOX_W / 2}" y="{cy - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" rx="{rx}" {attrs}/>'
            )
        parallel = "(paralel) " if step.kind is StepKind.FANOUT else ""
        label = f"{step.no} {parallel}{step.waktu.printed if step.waktu else ''}"
        parts.append(_text(cx, cy, _lines(label.strip(), 18), 10))
    for prev, nxt in zip(spec.steps, spec.steps[1:], strict=False):
        (x1, y1), (x2, y2) = centres[prev.id], centres[nxt.id]
        start_y = y1 + (BOX_H / 2 + (6 if prev.kind is StepKind.REVIEW else 0))
        if abs(x1 - x2) < 1:
            path = f"M{x1},{start_y} L{x2},{y2 - BOX_H / 2}"
        else:
            mid = (start_y + y2 - BOX_H / 2) / 2
            path = f"M{x1},{start_y} L{x1},{mid} L{x2},{mid} L{x2},{y2 - BOX_H / 2}"
        parts.append(f'<path d="{path}" fill="none" stroke="#333" marker-end="url(#arrow)"/>')
        if prev.kind is StepKind.REVIEW:
            parts.append(_text(x1 + 12, start_y + 8, ["Ya"], 10, anchor="start"))
    for step in spec.steps:
        if step.kind is StepKind.REVIEW and step.return_to in centres:
            (x1, y1), (x2, y2) = centres[step.id], centres[step.return_to]
            side = x1 + BOX_W / 2
            lane = max(x1, x2) + COL_W / 2 - 6
            path = f"M{side},{y1} L{lane},{y1} L{lane},{y2} L{x2 + BOX_W / 2},{y2}"
            parts.append(
                f'<path d="{path}" fill="none" stroke="#dc3545" stroke-dasharray="5,4" marker-end="url(#arrow)"/>'
            )
            parts.append(_text(side + 6, y1 - 8, ["Tidak"], 10, anchor="start"))
    parts.append("</svg>")
    return "".join(parts)
