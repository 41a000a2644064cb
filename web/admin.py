"""Administration: units, people, roles and Plt. periods; SOP versions; holidays and schedule.

The organisation, the schedule and new SOP versions are files (the same YAML the command line
loads); an upload is validated first and loads nothing when any line is wrong. An upload is
at most 1 MB, is kept in a private temporary folder that is removed whatever happens, and only
its first problems are shown, each cut short (flashed messages travel in the session cookie,
which browsers limit to 4 kB).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.access import rule
from web.messages import localise
from workflow.domain.calendar import WorkCalendar
from workflow.errors import WorkflowError
from workflow.services.admin import admin_overview, load_org_file, load_schedule_file
from workflow.services.engine import WorkflowService
from workflow.services.org import parse_org_file
from workflow.services.schedule import parse_schedule_file
from workflow.sop.spec import parse_spec
from workflow.sop.yamlsource import MAX_BYTES, SourceErrors

bp = Blueprint("admin", __name__)


def _service() -> WorkflowService:
    service: WorkflowService = current_app.extensions["sakip_service"]
    return service


@bp.get("/")
@rule("admin")
def index() -> Any:
    service = _service()
    found = admin_overview(service)
    sops = [
        {"key": spec.key, "version": spec.version, "nama": spec.nama, "steps": len(spec.steps),
         "latest": spec.version == service.registry.get(spec.key).version,
         "running": found.running.get((spec.key, spec.version), 0)}
        for spec in service.registry.all()
    ]  # fmt: skip
    year = service.clock().year
    holidays = WorkCalendar().holidays_in(year)
    return render_template(
        "admin/admin.html", units=found.units, people=found.people, assignments=found.assignments, sops=sops,
        cycles=found.cycles, holidays=holidays, year=year,
    )  # fmt: skip


MAX_SHOWN = 20
"""The most problems of one upload shown; the rest are counted."""
MAX_MESSAGE = 200
"""The longest problem shown, in characters."""
MAX_TOTAL = 2000
"""The most characters of problems shown for one upload."""


def _upload_name() -> str:
    """The uploaded file's own name (no folders), as the messages call it."""
    upload = request.files.get("file")
    name = Path((upload.filename if upload is not None else None) or "berkas.yaml").name or "berkas.yaml"
    return _cut(name, 60)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _uploaded_yaml() -> Iterator[Path | None]:
    """The uploaded YAML in a private temporary folder, removed on the way out whatever happened;
    None (with a message) when there is no file or it is larger than MAX_BYTES."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Pilih berkas YAML terlebih dahulu."), "danger")
        yield None
        return
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        flash(_("Berkas terlalu besar (maksimum %(mb)d MB).", mb=MAX_BYTES // (1024 * 1024)), "danger")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="sakip-upload-") as folder:
        path = Path(folder) / "upload.yaml"
        path.write_bytes(data)
        yield path


def _report(exc: SourceErrors) -> None:
    """Flash the first problems, naming the uploaded file rather than its temporary copy."""
    name = _upload_name()
    shown = total = 0
    for error in exc.errors[:MAX_SHOWN]:
        text = _cut(f"{name}:{error.line}: {error.field}: {error.reason}", MAX_MESSAGE)
        total += len(text)
        if total > MAX_TOTAL:
            break
        flash(text, "danger")
        shown += 1
    if len(exc.errors) > shown:
        flash(_("... dan %(count)d masalah lain.", count=len(exc.errors) - shown), "danger")


def _refused(exc: WorkflowError) -> None:
    flash(_cut(localise(exc), MAX_MESSAGE), "danger")


@bp.post("/org")
@rule("admin")
def org_upload() -> Any:
    with _uploaded_yaml() as path:
        if path is None:
            return redirect(url_for("admin.index"))
        try:
            org = parse_org_file(path)
            summary = load_org_file(_service(), org)
            flash(f"Organisasi dimuat: {summary.units} unit, {summary.people} orang.", "success")
        except SourceErrors as exc:
            _report(exc)
        except WorkflowError as exc:
            _refused(exc)
    return redirect(url_for("admin.index"))


@bp.post("/schedule")
@rule("admin")
def schedule_upload() -> Any:
    with _uploaded_yaml() as path:
        if path is None:
            return redirect(url_for("admin.index"))
        try:
            service = _service()
            schedule = parse_schedule_file(path, service.registry)
            load_schedule_file(service, schedule)
            flash("Jadwal dimuat.", "success")
        except SourceErrors as exc:
            _report(exc)
        except WorkflowError as exc:
            _refused(exc)
    return redirect(url_for("admin.index"))


@bp.post("/sop")
@rule("admin")
def sop_upload() -> Any:
    """Validate an SOP file; with `load`, save it as a new version in the SOP folder."""
    with _uploaded_yaml() as path:
        if path is None:
            return redirect(url_for("admin.index"))
        try:
            spec = parse_spec(path, _upload_name())
        except SourceErrors as exc:
            _report(exc)
            return redirect(url_for("admin.index"))
        data = path.read_bytes()
    service = _service()
    try:
        existing = service.registry.get(spec.key, spec.version)
    except KeyError:
        existing = None
    if existing is not None:
        flash(f"{spec.key} versi {spec.version} sudah ada; simpan revisi sebagai versi {spec.version + 1}.", "danger")
    elif request.form.get("load") == "1":
        target = Path(current_app.config["SOP_DIR"]) / f"{spec.key}.v{spec.version}.yaml"
        try:
            with target.open("xb") as out:  # never over a file that exists, even one this worker missed
                out.write(data)
        except FileExistsError:
            flash(f"{target.name} sudah ada; simpan revisi sebagai versi {spec.version + 1}.", "danger")
            return redirect(url_for("admin.index"))
        service.registry.refresh()  # the same registry object serves every service of this worker
        flash(f"{spec.key} versi {spec.version} dimuat. Instance yang sedang berjalan tetap pada versinya.", "success")
    else:
        flash(f"Berkas valid: {spec.key} versi {spec.version}, {len(spec.steps)} langkah.", "success")
    return redirect(url_for("admin.index"))
