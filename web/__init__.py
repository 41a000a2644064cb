"""The Flask web application: each role's queue, data entry, review, sign-off, and the JSON API.

`create_app()` (in `web.app`) builds one app over one runtime (`workflow.bootstrap`). The pages
and the API use the same service layer as the command line. This package imports nothing heavy
itself: `sakip` (`web.cli`) lives here too and must start quickly, so Flask is imported only when
an app is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from workflow.bootstrap import Runtime


def create_app(test_config: dict[str, Any] | None = None, *, runtime: Runtime | None = None) -> Flask:
    """The app factory (`web:create_app()` for gunicorn); see `web.app.create_app`."""
    from web.app import create_app as factory

    return factory(test_config, runtime=runtime)


def __getattr__(name: str) -> Any:
    """`from web import load_roles` (or csrf) as before the factory moved to `web.app`."""
    if name in ("load_roles", "csrf", "DatabaseIntConverter"):
        import importlib

        return getattr(importlib.import_module("web.app"), name)
    raise AttributeError(f"module 'web' has no attribute {name!r}")
