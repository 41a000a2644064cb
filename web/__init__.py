"""The Flask web application (queues, data entry, review and sign-off pages come later).

For now it serves a health check and the iCalendar deadline feeds, which are opened by their
secret token (calendar apps cannot log in).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from flask import Flask, Response, abort, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from workflow import schema
from workflow.config import Config
from workflow.db import Database
from workflow.icalfeed import feed
from workflow.service import WorkflowService, utcnow
from workflow.sop import SopRegistry


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    config = Config.from_env()
    app.config.from_mapping(DATABASE_URL=config.database_url, SOP_DIR=str(config.sop_dir))
    if test_config:
        app.config.from_mapping(test_config)
    db = Database.from_url(app.config["DATABASE_URL"])
    app.extensions["sakip_db"] = db
    registry = SopRegistry.from_directory(Path(app.config["SOP_DIR"]))
    service = WorkflowService(db, registry, clock=app.config.get("CLOCK") or utcnow)
    app.extensions["sakip_service"] = service

    @app.get("/healthz")
    def healthz() -> Any:
        try:
            with db.engine.execution_options(sakip_readonly=True).connect() as conn:
                conn.execute(text("SELECT 1"))
                revision = MigrationContext.configure(conn).get_current_revision()
        except SQLAlchemyError as exc:
            return jsonify(status="database-unavailable", error=type(exc).__name__), 503
        ok = revision == schema.head_revision()
        return jsonify(status="ok" if ok else "schema-outdated", revision=revision), (200 if ok else 503)

    @app.get("/calendar/<token>.ics")
    def calendar_feed(token: str) -> Response:
        body = feed(service, token)
        if body is None:
            abort(404)
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    return app
