"""The Flask web application (queues, data entry, review and sign-off pages come later).

For now it serves a health check that opens the same database the CLI uses, so a deployment
can be checked before the UI lands.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text

from workflow import schema
from workflow.config import Config
from workflow.db import Database


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE_URL=Config.from_env().database_url)
    if test_config:
        app.config.from_mapping(test_config)
    db = Database.from_url(app.config["DATABASE_URL"])
    app.extensions["sakip_db"] = db

    @app.get("/healthz")
    def healthz() -> Any:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = schema.current_revision(db.engine)
        ok = revision == schema.head_revision()
        return jsonify(status="ok" if ok else "schema-outdated", revision=revision), (200 if ok else 503)

    return app
