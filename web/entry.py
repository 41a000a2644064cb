"""The data-entry grid: one form for every indicator a person answers for in a triwulan.

"Simpan draf" saves every row that was typed; "Kirim" saves every row, then sends the task.
Each row is saved in its own transaction (`PerformanceService.submit`), so a refused row keeps
its typed value and its message on the page while the others are saved; nothing typed is
thrown away. The capaian shown while typing comes from the server (`preview`), which measures
exactly as the saved entry will be measured; without JavaScript the page still saves and sends.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from web.access import rule
from web.filters import flag_text
from web.messages import localise
from web.views import _may_act, _perf, _service, _task_context, _unit_code, bp
from workflow.domain.limits import NOTE_MAX, NUMBER_MAX
from workflow.domain.rules import OPEN
from workflow.errors import NotAllowed, NotFound, WorkflowError
from workflow.services import instances
from workflow.services.performance import Submission

FIELDS = ("value", "numerator", "denominator", "note", "pending")


def typed_rows(form: Any, codes: list[str]) -> dict[str, dict[str, str]]:
    """What was typed for each row of the grid, by indicator code (bounded in length)."""
    typed: dict[str, dict[str, str]] = {}
    for code in codes:
        row = {}
        for name in FIELDS:
            raw = form.get(f"{name}-{code}")
            if raw is not None:
                row[name] = raw[: NOTE_MAX + 1] if name == "note" else raw[: NUMBER_MAX + 1]
        typed[code] = row
    return typed


def _changed(stored: dict[str, Any], typed: dict[str, str], has_files: bool) -> bool:
    """Whether a row was typed into: its values, note or pending mark differ from what is stored,
    or files came with it. An untouched empty row is left alone."""
    if has_files:
        return True
    pending = typed.get("pending") == "on"
    if pending != bool(stored["pending"]):
        return True
    for name in ("value", "numerator", "denominator", "note"):
        if (typed.get(name) or "").strip() != (stored.get(name) or "").strip():
            return True
    return False


def _submission(code: str, typed: dict[str, str], period: str, unit: str, files: list[tuple[str, bytes]]) -> Submission:
    return Submission(
        username=current_user.username,
        code=code,
        period=period,
        value=typed.get("value") or None,
        numerator=typed.get("numerator") or None,
        denominator=typed.get("denominator") or None,
        note=typed.get("note") or None,
        pending=typed.get("pending") == "on",
        unit=unit,
        files=files,
    )


@bp.post("/tasks/<int:task_id>/entry")
@rule(logged_in=True)
def entry(task_id: int) -> Any:
    """Save every typed row as draf ("save"), or save them and send the task ("send")."""
    t, instance, spec, step = _task_context(task_id)
    if not _may_act(t):
        abort(403)
    action = request.form.get("action", "save")
    perf = _perf()
    form = perf.entry_form(task_id)
    codes = [r["code"] for r in form["rows"]]
    typed = typed_rows(request.form, codes)
    unit = _unit_code(t.unit_id)
    errors: dict[str, str] = {}
    saved = []
    for row in form["rows"]:
        code = row["code"]
        files = [(f.filename or "", f.read()) for f in request.files.getlist(f"evidence-{code}") if f and f.filename]
        if row["status"] == "diterima" or not _changed(row, typed[code], bool(files)):
            continue
        try:
            perf.submit(_submission(code, typed[code], instance.period, unit, files))
            saved.append(code)
        except NotAllowed:
            abort(403)
        except WorkflowError as exc:
            errors[code] = localise(exc) + (
                " " + _("Berkas bukti dukung baris ini belum tersimpan; pilih ulang berkasnya.") if files else ""
            )
    if not errors and action == "send":
        try:
            result = _service().act(task_id, "done", current_user.username)
        except NotAllowed:
            abort(403)
        except NotFound:
            abort(404)
        except WorkflowError as exc:
            return _render(task_id, typed, errors, localise(exc), saved)
        flash(_("Data realisasi terkirim kepada Tim SAKIP."), "success")
        return redirect(url_for("main.instance", instance_id=result.instance_id))
    if errors:
        return _render(task_id, typed, errors, None, saved)
    flash(_("Draf tersimpan (%(count)s baris). Tekan Kirim bila semua sudah benar.", count=len(saved)), "success")
    return redirect(url_for("main.task", task_id=task_id))


def _render(task_id: int, typed: dict[str, dict[str, str]], errors: dict[str, str], general: str | None,
            saved: list[str]) -> Any:  # fmt: skip
    """The grid again, with what was typed, each refused row's message and what was saved (422)."""
    t, instance, spec, step = _task_context(task_id)
    view, unit = instances.task_page_view(_service(), t, instance)
    form = _perf().entry_form(task_id)
    # Saved rows show what is stored now; refused rows show what was typed, measured as typed.
    kept = {code: row for code, row in typed.items() if code in errors}
    for row in form["rows"]:
        if row["code"] in kept:
            sub = _submission(row["code"], kept[row["code"]], instance.period, "", [])
            try:
                row.update(_perf().preview(task_id, current_user.username, row["code"], sub))
            except WorkflowError:
                continue  # the row's own message says what is wrong with it
    html = render_template(
        "main/entry.html", t=view, instance=instance, spec=spec, step=step, unit=unit, form=form,
        typed=kept, errors=errors, general_error=general, saved=saved,
    )  # fmt: skip
    return html, 422


@bp.post("/tasks/<int:task_id>/preview")
@rule(logged_in=True)
def preview(task_id: int) -> Any:
    """The capaian a typed value would give (JSON), measured by the server; nothing is saved."""
    t, instance, _spec, _step = _task_context(task_id)
    if t.status != OPEN or not _may_act(t):
        abort(403)
    code = request.form.get("code", "")
    typed = typed_rows(request.form, [code]).get(code, {})
    try:
        found = _perf().preview(task_id, current_user.username, code, _submission(code, typed, instance.period, "", []))
    except NotAllowed:
        abort(403)
    except WorkflowError as exc:
        return jsonify(error=localise(exc)), 422
    found["flags"] = [flag_text(f) for f in found["flags"]]
    return jsonify(found)
