"""Administration: units, people, roles and Plt. periods; SOP versions; holidays and schedule.

The organisation, the schedule and new SOP versions are files (the same YAML the command line
loads); an upload is validated first and loads nothing when any line is wrong.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from web.access import rule
from workflow.calendar import WorkCalendar
from workflow.models import Cycle, Instance, Person, RoleAssignment, Unit
from workflow.org import load_org, parse_org_file
from workflow.schedule import load_schedule, parse_schedule_file
from workflow.service import WorkflowService
from workflow.sop import SopRegistry, parse_spec
from workflow.yamlsource import SourceErrors

bp = Blueprint("admin", __name__)


def _service() -> WorkflowService:
    service: WorkflowService = current_app.extensions["sakip_service"]
    return service


@bp.get("/")
@rule("admin")
def index() -> Any:
    service = _service()
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        units = list(s.scalars(select(Unit).order_by(Unit.kind, Unit.name)))
        people = list(s.scalars(select(Person).order_by(Person.username)))
        assignments = s.execute(
            select(RoleAssignment, Person.username, Unit.code)
            .join(Person, Person.id == RoleAssignment.person_id)
            .join(Unit, Unit.id == RoleAssignment.unit_id)
            .order_by(Unit.code, RoleAssignment.role, Person.username)
        ).all()
        used = Counter(
            (k, v) for k, v, done in s.execute(select(Instance.sop_key, Instance.sop_version, Instance.finished_at))
            if done is None
        )  # fmt: skip
        cycles = list(s.scalars(select(Cycle).order_by(Cycle.deadline_at.desc()).limit(24)))
    sops = [
        {"key": spec.key, "version": spec.version, "nama": spec.nama, "steps": len(spec.steps),
         "latest": spec.version == service.registry.get(spec.key).version,
         "running": used.get((spec.key, spec.version), 0)}
        for spec in service.registry.all()
    ]  # fmt: skip
    year = service.clock().year
    holidays = WorkCalendar().holidays_in(year)
    return render_template(
        "admin.html", units=units, people=people, assignments=assignments, sops=sops, cycles=cycles,
        holidays=holidays, year=year,
    )  # fmt: skip


def _upload_to_temp(suffix: str) -> Path | None:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Pilih berkas YAML terlebih dahulu.", "danger")
        return None
    data = upload.read()
    if len(data) > 1024 * 1024:
        flash("Berkas terlalu besar (maksimum 1 MB).", "danger")
        return None
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=suffix)
    handle.write(data)
    handle.close()
    return Path(handle.name)


def _report(exc: SourceErrors, path: Path) -> None:
    """Flash each problem, naming the uploaded file rather than its temporary copy."""
    name = Path(request.files["file"].filename or "berkas.yaml").name
    for error in exc.errors[:20]:
        flash(str(error).replace(str(path), name).replace(path.name, name), "danger")


@bp.post("/org")
@rule("admin")
def org_upload() -> Any:
    path = _upload_to_temp(".yaml")
    if path is not None:
        try:
            org = parse_org_file(path)
            with _service().db.unit_of_work() as uow:
                summary = load_org(uow.session, org)
                uow.commit()
            flash(f"Organisasi dimuat: {summary.units} unit, {summary.people} orang.", "success")
        except SourceErrors as exc:
            _report(exc, path)
        finally:
            path.unlink(missing_ok=True)
    return redirect(url_for("admin.index"))


@bp.post("/schedule")
@rule("admin")
def schedule_upload() -> Any:
    path = _upload_to_temp(".yaml")
    if path is not None:
        try:
            schedule = parse_schedule_file(path)
            service = _service()
            with service.db.unit_of_work() as uow:
                load_schedule(uow.session, schedule, service.calendars, service.clock())
                uow.commit()
            flash("Jadwal dimuat.", "success")
        except SourceErrors as exc:
            _report(exc, path)
        finally:
            path.unlink(missing_ok=True)
    return redirect(url_for("admin.index"))


@bp.post("/sop")
@rule("admin")
def sop_upload() -> Any:
    """Validate an SOP file; with `load`, save it as a new version in the SOP folder."""
    path = _upload_to_temp(".yaml")
    if path is None:
        return redirect(url_for("admin.index"))
    service = _service()
    try:
        spec = parse_spec(path, request.files["file"].filename)
    except SourceErrors as exc:
        _report(exc, path)
        path.unlink(missing_ok=True)
        return redirect(url_for("admin.index"))
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
                out.write(path.read_bytes())
        except FileExistsError:
            flash(f"{target.name} sudah ada; simpan revisi sebagai versi {spec.version + 1}.", "danger")
            path.unlink(missing_ok=True)
            return redirect(url_for("admin.index"))
        registry = SopRegistry.from_directory(Path(current_app.config["SOP_DIR"]))
        service.registry = registry
        current_app.extensions["sakip_performance"].registry = registry
        flash(f"{spec.key} versi {spec.version} dimuat. Instance yang sedang berjalan tetap pada versinya.", "success")
    else:
        flash(f"Berkas valid: {spec.key} versi {spec.version}, {len(spec.steps)} langkah.", "success")
    path.unlink(missing_ok=True)
    return redirect(url_for("admin.index"))
