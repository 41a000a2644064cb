"""The JSON API under /api/v1 (a contract), authenticated by bearer token.

`sakip token create --as USER` prints a token; only its SHA-256 is stored. The API calls the
same service layer as the pages and the command line: 403 when the action is not the user's,
409 on a conflict or a task already done, 422 on bad input, 404 for an unknown object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from web.access import may_use, rule
from workflow.domain.roles import ROLES
from workflow.errors import Conflict, InvalidInput, NotAllowed, NotFound, WorkflowError
from workflow.services import accounts, instances
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService, Submission

bp = Blueprint("api", __name__)
F = TypeVar("F", bound=Callable[..., Any])
STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, InvalidInput: 422}


def _service() -> WorkflowService:
    service: WorkflowService = current_app.extensions["sakip_service"]
    return service


def _error(status: int, message: str) -> Any:
    return jsonify(error=message, status=status), status


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    """Under /api/, a URL no route matches (404) or a wrong method (405) also answers in the
    documented JSON error form; every other page keeps Werkzeug's own answer."""
    if not request.path.startswith("/api/") or exc.code is None:
        return exc
    response = jsonify(error=exc.description or exc.name, status=exc.code)
    response.status_code = exc.code
    allow = exc.get_response().headers.get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def authenticated(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return _error(401, "missing bearer token")
        username = accounts.token_username(_service(), header[7:].strip())
        if username is None:
            return _error(401, "invalid or revoked token")
        g.api_username = username
        try:
            return view(*args, **kwargs)
        except WorkflowError as exc:
            return _error(STATUS.get(type(exc), 400), str(exc))

    return wrapper  # type: ignore[return-value]


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object", code="body.not_object")
    return body


@bp.get("/tasks")
@rule(public=True)
@authenticated
def tasks() -> Any:
    return jsonify([v.as_json() for v in _service().tasks_for(g.api_username)])


@bp.post("/tasks/<int:task_id>/<action>")
@rule(public=True)
@authenticated
def act(task_id: int, action: str) -> Any:
    body = _json_body()
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidInput("note: must be a string", code="body.not_text", field="note")
    rows = body.get("rows")
    if rows is not None and (
        not isinstance(rows, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in rows.items())
    ):
        raise InvalidInput("rows: must map indicator codes to notes", code="rows.not_mapping")
    service = _service()
    result = service.act(task_id, action, g.api_username, note, rows)
    task_json, instance_json = instances.task_and_instance_json(service, task_id, result.instance_id)
    return jsonify(task=task_json, instance=instance_json, opened_task_ids=list(result.opened_task_ids))


def _perf() -> PerformanceService:
    perf: PerformanceService = current_app.extensions["sakip_performance"]
    return perf


def _text_field(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"{name}: required (a string)", code="body.required", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: must be a string", code="body.not_text", field=name)
    return value


@bp.post("/realisasi")
@rule(public=True)
@authenticated
def realisasi() -> Any:
    """Enter one indicator's realisasi inside the user's open data-entry task, by the same rules
    as the page and `sakip realisasi submit`: saved as draf, sent when the task is done."""
    body = _json_body()
    pending = body.get("pending", False)
    if not isinstance(pending, bool):
        raise InvalidInput("pending: must be true or false", code="body.not_boolean", field="pending")
    sub = Submission(
        username=g.api_username,
        code=_text_field(body, "indicator", required=True) or "",
        period=_text_field(body, "period", required=True) or "",
        value=_text_field(body, "value"),
        numerator=_text_field(body, "numerator"),
        denominator=_text_field(body, "denominator"),
        note=_text_field(body, "note"),
        pending=pending,
        source_period=_text_field(body, "source_period"),
        unit=_text_field(body, "unit"),
    )
    return jsonify(_perf().submit(sub)), 201


@bp.get("/tasks/<int:task_id>/entry")
@rule(public=True)
@authenticated
def entry_form(task_id: int) -> Any:
    """A data-entry task's rows: targets (annual, to date, the quarter's own), what each input asks
    for, the value, capaian and predikat, the plausibility flags and the note needed."""
    if g.api_username not in _service().candidates(task_id):
        raise NotAllowed(
            f"user {g.api_username!r} may not act on task {task_id}",
            code="task.not_yours",
            user=g.api_username,
            task=task_id,
        )
    form = _perf().entry_form(task_id)
    for row in form["rows"]:
        row["flags"] = [
            {k: (str(v) if v is not None and k != "code" else v) for k, v in dataclasses.asdict(f).items()}
            for f in row["flags"]
        ]
    return jsonify(form)


@bp.get("/instances/<int:instance_id>/history")
@rule(public=True)
@authenticated
def history(instance_id: int) -> Any:
    service = _service()
    reader = instances.instance_reader(service, g.api_username, instance_id)
    # The pages' rule for an instance: its own unit's people, and the monitoring roles above it.
    if not reader.is_admin and not may_use(reader.held, reader.chain, ROLES, above=True):
        raise NotAllowed(
            f"user {g.api_username!r} may not read instance {instance_id}",
            code="instance.not_readable",
            user=g.api_username,
            instance=instance_id,
        )
    return jsonify([e.as_json() for e in service.history(instance_id)])


@bp.post("/instances")
@rule(public=True)
@authenticated
def start() -> Any:
    body = _json_body()
    missing = [k for k in ("sop_key", "unit", "period") if not isinstance(body.get(k), str) or not body.get(k)]
    if missing:
        raise InvalidInput(f"{missing[0]}: required (a string)", code="body.required", field=missing[0])
    result = _service().start(body["sop_key"], body["unit"], body["period"], g.api_username)
    return jsonify(instance_id=result.instance_id, state=result.state), 201


@bp.get("/openapi.json")
@rule(public=True)
def openapi() -> Any:
    return jsonify(OPENAPI)


_ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": ok} if "201" not in ok else ok
    for code in codes:
        out[str(code)] = {"description": str(code), "content": {"application/json": {"schema": _ERROR}}}
    return out


_TASK = {
    "type": "object",
    "required": ["id", "instance_id", "sop_key", "step_id", "role", "actions", "due_at"],
    "properties": {
        "id": {"type": "integer"}, "instance_id": {"type": "integer"}, "sop_key": {"type": "string"},
        "sop_version": {"type": "integer"}, "unit": {"type": "string"}, "period": {"type": "string"},
        "step_id": {"type": "string"}, "step_no": {"type": "string"}, "step_name": {"type": "string"},
        "kegiatan": {"type": "string"}, "role": {"type": "string"}, "seksi": {"type": ["string", "null"]},
        "assignee": {"type": ["string", "null"]}, "actions": {"type": "array", "items": {"type": "string"}},
        "due_at": {"type": ["string", "null"]}, "round": {"type": "integer"},
        "return_note": {"type": ["string", "null"]},
    },
}  # fmt: skip
OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Alur SAKIP API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "status"],
                "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
            },
            "Task": _TASK,
        },
    },  # fmt: skip
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/tasks": {
            "get": {
                "summary": "The open tasks the user can act on now",
                "responses": _responses(
                    {
                        "description": "tasks",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}}
                            }
                        },
                    },
                    401,
                ),
            }  # fmt: skip
        },
        "/api/v1/tasks/{task_id}/{action}": {
            "post": {
                "summary": "Take an action on a task",
                "parameters": [
                    {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "note": {"type": "string"},
                                    "rows": {"type": "object", "additionalProperties": {"type": "string"}},
                                },
                            }
                        }
                    }
                },
                "responses": _responses(
                    {
                        "description": "the task and the instance after the action",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["task", "instance"],
                                    "properties": {
                                        "task": {"type": "object"},
                                        "instance": {"type": "object"},
                                        "opened_task_ids": {"type": "array", "items": {"type": "integer"}},
                                    },
                                }
                            }
                        },
                    },
                    401,
                    403,
                    404,
                    409,
                    422,
                ),
            }  # fmt: skip
        },
        "/api/v1/instances/{instance_id}/history": {
            "get": {
                "summary": "The audit events of an instance",
                "parameters": [{"name": "instance_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": _responses(
                    {
                        "description": "events",
                        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
                    },
                    401,
                    403,
                    404,
                ),
            }  # fmt: skip
        },
        "/api/v1/instances": {
            "post": {
                "summary": "Start an SOP for a unit and period",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["sop_key", "unit", "period"],
                                "properties": {
                                    "sop_key": {"type": "string"},
                                    "unit": {"type": "string"},
                                    "period": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": _responses(
                    {
                        "201": {
                            "description": "started",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"instance_id": {"type": "integer"}, "state": {"type": "string"}},
                                    }
                                }
                            },
                        }
                    },
                    401,
                    403,
                    404,
                    409,
                    422,
                ),
            }  # fmt: skip
        },
    },
}
