"""The app factory: one Flask app over one runtime (`workflow.bootstrap`).

`create_app()` reads the configuration, applies the test settings, builds (or takes) the runtime
that holds the database, the SOP registry, the clock and the services, and registers the
blueprints. Every route declares who may use it (`web.access.rule`); `before_request` refuses a
route without a rule, sends anonymous users to the login page (or answers 401 on the API), and
loads the roles the user holds in each unit.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, jsonify, redirect, request, session, url_for
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from web import access
from web.auth import login_manager
from workflow.bootstrap import Runtime, build
from workflow.config import INSTANCE_DIR, Config
from workflow.services import accounts
from workflow.services.engine import WorkflowService
from workflow.services.icalfeed import feed

csrf = CSRFProtect()


def _secret_key(config: Config) -> str:
    """SAKIP_SECRET_KEY, or a random key kept in instance/secret_key (shared by the workers of one host)."""
    if config.secret_key:
        return config.secret_key
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in every route: an id beyond the database's INTEGER (32 bits on PostgreSQL)
    matches no row, so it answers 404 instead of failing in the database driver (a 500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in ("id", "en") else "id"


def create_app(test_config: dict[str, Any] | None = None, *, runtime: Runtime | None = None) -> Flask:
    """The app over RUNTIME, or over a runtime built from the environment and TEST_CONFIG
    (DATABASE_URL, SOP_DIR, CLOCK and UPLOADS choose its parts)."""
    app = Flask("web", instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseIntConverter
    config = runtime.config if runtime is not None else Config.from_env()
    uploads = runtime.uploads if runtime is not None else build(config).uploads
    app.config.from_mapping(
        DATABASE_URL=config.database_url,
        SOP_DIR=str(config.sop_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_NAME="sakip_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        MAX_CONTENT_LENGTH=uploads.max_bytes + 1024 * 1024,
        BABEL_DEFAULT_LOCALE="id",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        BOOTSTRAP_SERVE_LOCAL=True,
        UPLOADS=uploads,
        PER_PAGE=20,
    )
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(config)
    proxies = config.proxy_fix
    if proxies > 0:
        # Behind N trusted reverse proxies: the client address (for the login limit) and the scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    if runtime is None:
        chosen = replace(config, database_url=app.config["DATABASE_URL"], sop_dir=Path(app.config["SOP_DIR"]))
        runtime = build(chosen, clock=app.config.get("CLOCK"), uploads=app.config["UPLOADS"])
    app.extensions["sakip_runtime"] = runtime
    app.extensions["sakip_db"] = runtime.db
    registry = runtime.registry
    service = runtime.workflow
    app.extensions["sakip_service"] = service
    app.extensions["sakip_performance"] = runtime.performance

    csrf.init_app(app)
    login_manager.init_app(app)
    Babel(app, locale_selector=_locale)
    Bootstrap5(app)

    from web import admin, api, auth, entry, views  # noqa: F401 (entry adds the data-entry grid's routes to views.bp)

    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # the API authenticates each request by bearer token, not by cookie

    @app.get("/healthz")
    @access.rule(public=True)
    def healthz() -> Any:
        health = runtime.health()
        if health.error is not None:
            return jsonify(status=health.status, error=health.error), 503
        return jsonify(status=health.status, revision=health.revision), (200 if health.ok else 503)

    @app.get("/calendar/<token>.ics")
    @access.rule(public=True)
    def calendar_feed(token: str) -> Response:
        body = feed(service, token)
        if body is None:
            abort(404)
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    access.register_rules(app)

    @app.before_request
    def reload_sops() -> None:
        """Pick up an SOP version loaded by another worker (the folder changed on disk)."""
        registry.refresh()

    @app.before_request
    def enforce_rules() -> Any:
        found = access.current_rule()
        if request.endpoint is None:
            return None  # 404 follows
        if found is None:
            abort(403)
        if found.kind == access.PUBLIC:
            return None
        if request.blueprint == "api":
            return None  # the API checks its bearer token itself
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        load_roles(service)
        if not found.allows_anywhere(g.sakip_roles, current_user.is_admin):
            abort(403)
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'",
        )
        return response

    from web.filters import register_filters

    register_filters(app)
    return app


def load_roles(service: WorkflowService, person_id: int | None = None) -> None:
    """g.sakip_units (unit id -> roles held now), g.sakip_roles, g.sakip_chain and g.sakip_has_plt.

    A Plt. holding counts only while the user acts in it (the switch in the page header).
    """
    pid = person_id if person_id is not None else int(current_user.id)
    acting = bool(session.get("acting", False)) if person_id is None else True
    units: dict[int, set[str]] = {}
    has_plt = False
    held, parents = accounts.positions_now(service, pid)
    for h in held:
        has_plt = has_plt or h.acting
        if h.acting and not acting:
            continue
        units.setdefault(h.unit_id, set()).add(h.role)

    def chain(unit_id: int) -> list[int]:
        out: list[int] = []
        current: int | None = unit_id
        while current is not None and len(out) < 20:
            out.append(current)
            current = parents.get(current)
        return out

    g.sakip_units = units
    g.sakip_roles = {r for roles in units.values() for r in roles}
    g.sakip_chain = chain
    g.sakip_has_plt = has_plt
    g.sakip_acting = acting and has_plt
