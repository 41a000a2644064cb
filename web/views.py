"""The pages: beranda (inbox, queue, archive), task pages (data entry, review, sign-off, other
steps), the instance page (timeline and bagan alur), the Tim SAKIP tracker, the Kertas Kerja,
the Kabupaten overview and the dashboard."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from web.access import MONITORING_ROLES, guard, may_use, rule
from web.filters import is_triwulan
from web.messages import action_word, localise
from workflow.domain.indicators import IndicatorError, parse_period
from workflow.domain.limits import NOTE_MAX, SHORT_MAX
from workflow.domain.periods import Period, PeriodError
from workflow.domain.rules import FOLLOWERS, OPEN, REASSIGNERS, ROLE_KEYS, TRACKERS
from workflow.errors import InvalidInput, NotAllowed, NotFound, WorkflowError
from workflow.services import instances
from workflow.services.dashboards import dashboard_data, overview_data
from workflow.services.engine import WorkflowService
from workflow.services.inbox import BOXES, mark_notifications_read, notifications, positions, task_page
from workflow.services.measurement import entry_step
from workflow.services.performance import PerformanceService, Submission
from workflow.services.rekap import sha256_text
from workflow.services.review_desk import review_desk
from workflow.services.tim_steps import finished, tim_tools, tools_of
from workflow.sop.flowchart import flowchart_svg
from workflow.sop.spec import StepKind

bp = Blueprint("main", __name__)
ALL_ROLES = ROLE_KEYS  # every role, and admin
# Who follows a unit's data collection (tracker, Kertas Kerja, anyone's Format): these roles in
# the unit itself; from a unit above, only its MONITORING_ROLES (workflow/domain/rules.py).
MONITOR_ROLES = FOLLOWERS
MAX_PAGE = 10_000  # pages of 20 tasks: far more than any box holds, and an OFFSET every database takes


def _service() -> WorkflowService:
    service: WorkflowService = current_app.extensions["sakip_service"]
    return service


def _perf() -> PerformanceService:
    perf: PerformanceService = current_app.extensions["sakip_performance"]
    return perf


def _fail(exc: WorkflowError) -> None:
    """Flash a refused action's message; 403 for an action that is not the user's."""
    if isinstance(exc, NotAllowed):
        abort(403)
    if isinstance(exc, NotFound):
        abort(404)
    flash(localise(exc), "danger")


# --- beranda ---------------------------------------------------------------------------


@bp.get("/")
@rule(logged_in=True)
def home() -> Any:
    box = request.args.get("box")
    page = _page_arg()
    service = _service()
    acting = bool(g.sakip_acting)
    per_page = current_app.config["PER_PAGE"]
    tasks = task_page(service, current_user.username, box if box in BOXES else "inbox", page, per_page, acting)
    if box not in BOXES:
        # Nothing given to me personally: open on the queue of my roles, if it has work.
        box = "inbox"
        if tasks.total == 0 and tasks.counts["queue"]:
            box = "queue"
            tasks = task_page(service, current_user.username, box, page, per_page, acting)
    notes, unread = notifications(service, current_user.username)
    now = service.clock()
    monitored = _monitored_instances()
    held = positions(service, current_user.username)
    return render_template(
        "main/home.html", tasks=tasks, box=box, notes=notes, unread=unread, now=now,
        positions=held, monitored=monitored, links=_links(held, monitored),
    )  # fmt: skip


def _page_arg() -> int:
    """The `page` query parameter: a whole number from 1 to MAX_PAGE (1 when absent); 400 otherwise."""
    raw = request.args.get("page", "")
    if raw == "":
        return 1
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        abort(400, description=_("halaman: harus bilangan bulat dari 1 sampai %(max)d", max=MAX_PAGE))
    return int(raw)


def _links(held: list[dict[str, Any]], monitored: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The overview for the Kabupaten's monitoring roles; the dashboard of each year the user's unit has cycles in."""
    links = list(
        dict.fromkeys(
            (_("Ringkasan") + f" {p['unit_name']}", url_for("main.overview", kabupaten=p["unit"]))
            for p in held
            if p["role"] in MONITORING_ROLES
        )
    )
    seen = set()
    for m in monitored:
        try:
            year = Period.parse(m["period"]).year
        except PeriodError:
            continue
        key = (m["unit"], year)
        if key not in seen:
            seen.add(key)
            links.append((_("Dasbor capaian") + f" {m['unit']} {year}",
                          url_for("main.dashboard", unit_code=m["unit"], year=year)))  # fmt: skip
    return links


def _monitored_instances() -> list[dict[str, Any]]:
    """The running instances of units where the user is Tim SAKIP, sekcam or Camat (for the tracker link)."""
    units = [u for u, roles in g.sakip_units.items() if roles & TRACKERS]
    if not units:
        return []
    return instances.recent_instances(_service(), units, limit=10)


@bp.post("/notifications/read")
@rule(logged_in=True)
def notifications_read() -> Any:
    mark_notifications_read(_service(), current_user.username)
    return redirect(url_for("main.home"))


# --- tasks ------------------------------------------------------------------------------


def _task_context(task_id: int) -> tuple[Any, Any, Any, Any]:
    """The task, its instance (rows read by the service), its SOP version and its step; 404 for an unknown task."""
    service = _service()
    found = instances.task_and_instance(service, task_id)
    if found is None:
        abort(404)
    task, instance = found
    spec = service.registry.get(instance.sop_key, instance.sop_version)
    return task, instance, spec, spec.step(task.step_id)


def _may_act(task: Any) -> bool:
    """Whether the user may act on TASK now, by the service's one rule for the page, the API and the
    CLI (`holding_for_task`): a holder of its position, definitive or Plt.; the action through a
    Plt. holding is recorded as such. The Plt. switch in the header only chooses which tasks the
    inbox shows."""
    return current_user.username in _service().candidates(task.id)


@bp.get("/tasks/<int:task_id>")
@rule(logged_in=True)
def task(task_id: int) -> Any:
    t, instance, spec, step = _task_context(task_id)
    if not _may_act(t):
        # Its finisher reopens a finished task only while they may still read the unit's work, by
        # the instance page's rule (`@rule(*ALL_ROLES, above=True)`): someone who left the unit no
        # longer reads its live rekap.
        may_read = current_user.is_admin or may_use(g.sakip_units, g.sakip_chain(t.unit_id), ALL_ROLES, above=True)
        if t.finished_by_id != int(current_user.id) or not may_read:
            abort(403)
    service = _service()
    view, unit = instances.task_page_view(service, t, instance)
    context: dict[str, Any] = {"t": view, "instance": instance, "spec": spec, "step": step, "unit": unit}
    if t.status != OPEN:  # read-only: who did what, when (no action form on any task page)
        closed = finished(service, t.id)
        context.update(finished=closed, finished_word=action_word(closed.outcome))
    entry = entry_step(spec)
    if entry is not None and step.id == entry.id and t.status == OPEN and is_triwulan(instance.period):
        context["form"] = _perf().entry_form(task_id)
        # A refusal of the one-row form (`realisasi`, kept for old links and scripts): its row's
        # message and typed values, shown on the grid.
        err = session.pop("entry_error", None)
        if isinstance(err, dict) and err.get("code"):
            context["errors"] = {err["code"]: err.get("message", "")}
            context["typed"] = {err["code"]: dict(err.get("form") or {})}
        return render_template("main/entry.html", **context)
    if step.kind is StepKind.REVIEW:
        context.update(_review_context(instance, spec))
        return render_template("main/review.html", **context)
    if step.kind in (StepKind.SIGN, StepKind.PARAF):
        content = instances.current_document(service, instance.id, spec.nama)
        context.update(content=content, sha256=sha256_text(content), rekap=_perf().rekap_for_instance(instance.id))
        return render_template("main/sign.html", **context)
    tools = tools_of(spec, step) if t.status == OPEN and is_triwulan(instance.period) else None
    if tools is not None:  # an open Tim SAKIP step between the data entry and the review: its working tools
        context["tools"] = tim_tools(service, _perf(), instance.id, tools)
    return render_template("main/task.html", **context)


def _review_context(instance: Any, spec: Any) -> dict[str, Any]:
    """The review desk: the draft under review row by row (owner, evidence, notes, flags, the change
    since the previous version), `?flagged=1` to list only the flagged rows, and what a refused
    submit of this task brought (its ticks, row notes, general note and error) to show again."""
    desk = review_desk(_service(), instance.id)
    kept = g.get("review_kept")  # set by a refused `act` that shows this page again
    only_flagged = request.args.get("flagged") == "1"
    rows = [] if desk is None else [r for r in desk.rows if r.flagged or not only_flagged]
    changes = instances.review_changes(_service(), instance.id) if desk is None else {}
    return {
        "desk": desk,
        "rows": rows,
        "rekap": desk.rekap if desk is not None else None,
        "versions": desk.versions if desk is not None else changes.get("versions", []),
        "changes": desk.changes if desk is not None else changes.get("changes", []),
        "only_flagged": only_flagged,
        "kept": kept or {"rows": [], "rownotes": {}, "note": "", "message": None},
    }


def _unit_code(unit_id: int) -> str:
    return instances.unit_by_id(_service(), unit_id).code


@bp.post("/tasks/<int:task_id>/reassign")
@rule(*REASSIGNERS, "admin")
def reassign(task_id: int) -> Any:
    """Give a departed ASN's open task to someone who holds its role (see WorkflowService.reassign)."""
    t, instance, _spec, _step = _task_context(task_id)
    guard(t.unit_id)
    try:
        result = _service().reassign(
            task_id, request.form.get("to", ""), current_user.username, request.form.get("note"),
            expected_from=request.form.get("from") or None,
        )  # fmt: skip
    except WorkflowError as exc:
        _fail(exc)
        return redirect(url_for("main.instance", instance_id=instance.id))
    flash(_("Tugas %(task)s dialihkan kepada %(user)s.", task=task_id, user=result.to_username), "success")
    return redirect(url_for("main.instance", instance_id=instance.id))


@bp.post("/tasks/<int:task_id>/act")
@rule(logged_in=True)
def act(task_id: int) -> Any:
    action = request.form.get("action", "")
    note = request.form.get("note") or None
    t, _instance, _spec, step = _task_context(task_id)
    if not _may_act(t):
        abort(403)
    ticked = [key[4:] for key in request.form if key.startswith("row-") and request.form.get(key) == "on"]
    rows = {code: request.form.get(f"rownote-{code}", "") for code in ticked}
    written = {key[8:]: text for key, text in request.form.items() if key.startswith("rownote-") and text.strip()}
    try:
        # A row note on a row not ticked is refused, never guessed at: the page ticks a row as its note is
        # typed (review.js), so this is a row the reviewer unticked, or a page without JavaScript.
        untick = next((code for code in written if code not in rows), None)
        if untick is not None:
            raise InvalidInput(
                f"rows: {untick} has a note but is not ticked; tick it to return it, or clear its note",
                code="rows.note_without_tick", indicator=untick[:SHORT_MAX],
            )  # fmt: skip
        result = _service().act(
            task_id, action, current_user.username, note, rows or None, request.form.get("doc_hash") or None
        )
    except WorkflowError as exc:
        if step.kind is not StepKind.REVIEW or isinstance(exc, NotAllowed | NotFound):
            _fail(exc)
            return redirect(url_for("main.task", task_id=task_id))
        # The desk again, as it was submitted: every tick and note, with the refusal near the form.
        g.review_kept = {"rows": ticked, "rownotes": written, "note": note or "", "message": localise(exc)}
        return task(task_id), 422
    flash(_("Tindakan %(action)s tercatat.", action=action_word(action)), "success")
    return redirect(url_for("main.instance", instance_id=result.instance_id))


@bp.post("/tasks/<int:task_id>/realisasi")
@rule(logged_in=True)
def realisasi(task_id: int) -> Any:
    t, instance, _spec, _step = _task_context(task_id)
    if not _may_act(t):
        abort(403)
    code = request.form.get("code", "")
    files = [(f.filename or "", f.read()) for f in request.files.getlist("evidence") if f and f.filename]
    sub = Submission(
        username=current_user.username,
        code=code,
        period=instance.period,
        value=request.form.get("value") or None,
        numerator=request.form.get("numerator") or None,
        denominator=request.form.get("denominator") or None,
        note=request.form.get("note") or None,
        pending=request.form.get("pending") == "on",
        source_period=request.form.get("source_period") or None,
        unit=_unit_code(t.unit_id),
        files=files,
    )
    try:
        result = _perf().submit(sub)
    except WorkflowError as exc:
        if isinstance(exc, NotAllowed):
            abort(403)
        # Kept in the session cookie to show the typed values again: never more than a note's length each.
        typed = {key: value[:NOTE_MAX] for key, value in list(request.form.items())[:20]}
        session["entry_error"] = {"code": code[:SHORT_MAX], "message": localise(exc)[:500], "form": typed}
        return redirect(url_for("main.task", task_id=task_id) + f"#row-{code}")
    capaian = f" Capaian {result['capaian']}%." if result["capaian"] else ""
    flash(_("Realisasi %(code)s tersimpan.", code=code) + capaian, "success")
    return redirect(url_for("main.task", task_id=task_id) + f"#row-{code}")


@bp.get("/evidence/<int:evidence_id>")
@rule(*ALL_ROLES, above=True)
def evidence(evidence_id: int) -> Any:
    item = instances.evidence_file(_service(), current_app.config["UPLOADS"], evidence_id)
    if item is None:
        abort(404)
    path, name, ctype = item.path, item.filename, item.content_type
    guard(item.unit_id)
    if not path.exists():
        abort(404)
    # The name as uploaded, without what a header cannot hold (one stored before uploads refused it).
    name = re.sub(r"[\x00-\x1f\x7f]", "_", name)
    return send_file(io.BytesIO(path.read_bytes()), mimetype=ctype, as_attachment=True, download_name=name)


# --- instances ----------------------------------------------------------------------------


def _instance_or_404(instance_id: int) -> Any:
    instance = instances.instance_by_id(_service(), instance_id)
    if instance is None:
        abort(404)
    return instance


@bp.get("/instances/<int:instance_id>")
@rule(*ALL_ROLES, above=True)
def instance(instance_id: int) -> Any:
    found = _instance_or_404(instance_id)
    guard(found.unit_id)
    service = _service()
    status = service.status(instance_id)
    history = service.history(instance_id)
    spec = service.registry.get(found.sop_key, found.sop_version)
    detail = instances.instance_detail(service, instance_id, spec.nama)
    svg = flowchart_svg(spec, done=detail.done_steps, current=status.state if status.finished_at is None else None)
    # Tasks given to one person who can no longer act on them (they left the role): the unit's
    # leaders may give them to someone who holds it.
    stuck = service.stuck_tasks(instance_id)
    may_reassign = current_user.is_admin or bool(g.sakip_units.get(found.unit_id, set()) & REASSIGNERS)
    may_monitor = current_user.is_admin or may_use(
        g.sakip_units, g.sakip_chain(found.unit_id), MONITOR_ROLES, above=True
    )  # the tracker and the Kertas Kerja (their own rule)
    return render_template(
        "main/instance.html", instance=found, status=status, history=history, spec=spec, svg=svg, unit=detail.unit,
        signatures=detail.signatures, versions=detail.versions, current_hash=detail.current_hash, stuck=stuck,
        may_reassign=may_reassign, may_monitor=may_monitor,
    )  # fmt: skip


@bp.get("/instances/<int:instance_id>/bagan.svg")
@rule(*ALL_ROLES, above=True)
def bagan(instance_id: int) -> Any:
    found = _instance_or_404(instance_id)
    guard(found.unit_id)
    service = _service()
    spec = service.registry.get(found.sop_key, found.sop_version)
    svg = flowchart_svg(
        spec,
        done=instances.done_steps(service, instance_id),
        current=found.state if found.finished_at is None else None,
    )
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/sop/<key>/v<int:version>.bpmn")
@rule(logged_in=True)  # SOP definitions are not any unit's data
def sop_bpmn(key: str, version: int) -> Any:
    """The SOP version as BPMN 2.0 with its diagram, for Camunda Modeler, bpmn.io and the like."""
    from workflow.sop.bpmn import export_bpmn

    try:
        spec = _service().registry.get(key, version)
    except KeyError:
        abort(404)
    response = Response(export_bpmn(spec), mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{_download_name(spec.key)}.v{spec.version}.bpmn"'
    return response


@bp.get("/sop/<key>/v<int:version>.<any(pdf, docx):fmt>")
@rule(logged_in=True)  # SOP definitions are not any unit's data
def sop_document(key: str, version: int, fmt: str) -> Any:
    """The SOP sheet in the standard format, with its bagan alur, as PDF or Word."""
    from workflow.services.documents import sop_sheet

    try:
        spec = _service().registry.get(key, version)
    except KeyError:
        abort(404)
    try:
        return _document(sop_sheet(spec), fmt, f"sop-{key}-v{version}")
    except WorkflowError as exc:  # an office's Word template is broken
        _fail(exc)
        return redirect(url_for("main.home"))


@bp.get("/instances/<int:instance_id>/<any(laporan, bukti, 'nota-dinas'):document>.<any(pdf, docx):fmt>")
@rule(*ALL_ROLES, above=True)
def instance_document(instance_id: int, document: str, fmt: str) -> Any:
    """The Nota Dinas, the Laporan Hasil Pengukuran (draft, or final as signed) as PDF or Word, or
    the bukti dukung of reviu berjenjang (PDF only)."""
    from workflow.services.documents import bukti_dukung, laporan, nota_dinas

    found = _instance_or_404(instance_id)
    guard(found.unit_id)
    if document == "bukti" and fmt != "pdf":
        abort(404)
    try:
        make = {"laporan": laporan, "bukti": bukti_dukung, "nota-dinas": nota_dinas}[document]
        return _document(make(_service(), instance_id), fmt, f"{document}-{instance_id}")
    except NotFound as exc:  # nothing to report yet
        flash(localise(exc), "warning")
        return redirect(url_for("main.instance", instance_id=instance_id))
    except WorkflowError as exc:  # an office's Word template is broken
        flash(localise(exc), "danger")
        return redirect(url_for("main.instance", instance_id=instance_id))


@bp.get("/format/<unit_code>/<period>/<username>.<any(pdf, xlsx):fmt>")
@rule(*ALL_ROLES, above=True)
def format_document(unit_code: str, period: str, username: str, fmt: str) -> Any:
    """The Format / Checklist data kinerja of one person: their own, or anyone's for the Tim SAKIP
    and the unit's leaders (who hand the formats out)."""
    from workflow.services.documents import format_checklist, format_pdf, format_xlsx

    unit_id = _unit_id(unit_code)
    guard(unit_id, None if username == current_user.username else MONITOR_ROLES)
    period = _triwulan_arg(period)
    if not period:
        return redirect(url_for("main.home"))
    try:
        data = format_checklist(_service(), unit_code, period, username)
    except WorkflowError as exc:
        _fail(exc)
        return redirect(url_for("main.home"))
    name = _download_name(f"format-data-kinerja-{unit_code}-{period}-{username}")
    if fmt == "pdf":
        return _document(format_pdf(data), fmt, name)
    buffer = io.BytesIO()
    format_xlsx(data, buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=f"{name}.xlsx", mimetype=XLSX)


def _triwulan_arg(period: str) -> str:
    """A triwulan from the URL, rebuilt from its parts (`2024-TW1`); "" with a notice when it is none."""
    try:
        year, quarter = parse_period(period)
    except IndicatorError as exc:
        flash(localise(exc), "danger")
        return ""
    return str(Period(year, quarter))


def _download_name(name: str) -> str:
    """A file name for Content-Disposition: letters, digits, '.', '-' and '_' only (never raw URL text)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:150] or "dokumen"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _document(rendered: Any, fmt: str, name: str) -> Response:
    if fmt == "docx":
        response = Response(rendered.docx(), mimetype=DOCX)
    else:
        response = Response(rendered.pdf(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{_download_name(name)}.{fmt}"'
    return response


@bp.get("/instances/<int:instance_id>/tracker")
@rule(*MONITOR_ROLES, above=True)
def tracker(instance_id: int) -> Any:
    found = _instance_or_404(instance_id)
    guard(found.unit_id)
    try:
        data = _perf().tracker(instance_id)
    except InvalidInput as exc:
        flash(localise(exc), "warning")
        return redirect(url_for("main.instance", instance_id=instance_id))
    seksi = request.args.get("seksi") or None
    status = request.args.get("status") or None
    owners = [o for o in data["owners"] if seksi is None or o["owner"].endswith(f".{seksi}") or o["owner"] == seksi]
    if status:
        owners = [dict(o, indicators=[i for i in o["indicators"] if i["status"] == status]) for o in owners]
        owners = [o for o in owners if o["indicators"]]
    unit_code = instances.unit_code_of(_service(), found.unit_id)
    return render_template(
        "main/tracker.html", data=data, owners=owners, seksi=seksi, status=status, instance=found, unit_code=unit_code
    )


@bp.post("/instances/<int:instance_id>/tracker/remind")
@rule("tim_sakip", "admin")
def remind(instance_id: int) -> Any:
    found = _instance_or_404(instance_id)
    guard(found.unit_id)
    username = request.form.get("username", "")
    sent = instances.remind(_service(), _perf(), found, username, int(current_user.id), current_user.username)
    if sent == "unknown":
        abort(404)
    if sent == "already_sent":
        flash(_("Pengingat untuk %(user)s sudah dikirim hari ini.", user=username), "warning")
        return redirect(url_for("main.tracker", instance_id=instance_id))
    flash(_("Pengingat dikirim kepada %(user)s.", user=username), "success")
    return redirect(url_for("main.tracker", instance_id=instance_id))


@bp.get("/rekap/<unit_code>/<period>")
@rule(*MONITOR_ROLES, above=True)
def rekap(unit_code: str, period: str) -> Any:
    unit_id = _unit_id(unit_code)
    guard(unit_id)
    period = _triwulan_arg(period)
    if not period:
        return redirect(url_for("main.home"))
    try:
        data = _perf().rekap(unit_code, period)
    except WorkflowError as exc:
        _fail(exc)
        return redirect(url_for("main.home"))
    if request.args.get("format") == "xlsx":
        from workflow.services.workbook import write_rekap_xlsx

        buffer = io.BytesIO()
        write_rekap_xlsx(data, buffer)  # type: ignore[arg-type]
        buffer.seek(0)
        name = _download_name(f"kertas-kerja-{unit_code}-{period}")
        return send_file(buffer, as_attachment=True, download_name=f"{name}.xlsx", mimetype=XLSX)
    return render_template("main/rekap.html", data=data)


def _unit_id(code: str) -> int:
    unit_id = instances.unit_id_of(_service(), code)
    if unit_id is None:
        abort(404)
    return unit_id


@bp.get("/overview/<kabupaten>")
@rule(*sorted(MONITORING_ROLES), "admin")
def overview(kabupaten: str) -> Any:
    guard(_unit_id(kabupaten))
    data = overview_data(_service(), kabupaten)
    return render_template("main/overview.html", data=data)


@bp.get("/dashboard/<unit_code>/<int:year>")
@rule(*ALL_ROLES, above=True)
def dashboard(unit_code: str, year: int) -> Any:
    guard(_unit_id(unit_code))
    data = dashboard_data(_perf(), unit_code, year)
    return render_template("main/dashboard.html", data=data, unit_code=unit_code, year=year)
