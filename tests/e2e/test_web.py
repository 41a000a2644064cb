"""The web app factory: its health check reports whether the schema is migrated."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from web import create_app
from workflow.adapters import schema


@pytest.fixture
def make_app() -> Iterator[Callable[[str], Flask]]:
    apps: list[Flask] = []

    def make(url: str) -> Flask:
        apps.append(create_app({"DATABASE_URL": url, "TESTING": True}))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["sakip_db"].dispose()


def test_health_check_is_ok_on_a_migrated_database(db_url: str, make_app: Callable[[str], Flask]) -> None:
    response = make_app(db_url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "revision": schema.head_revision()}


def test_health_check_reports_an_unmigrated_database(tmp_path: Path, make_app: Callable[[str], Flask]) -> None:
    response = make_app(f"sqlite:///{tmp_path / 'empty.db'}").test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "schema-outdated", "revision": None}
