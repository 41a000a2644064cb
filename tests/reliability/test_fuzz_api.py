"""Schemathesis against /api/v1/openapi.json, in-process (WSGI) over a real SQLite file holding
the demo organisation and a running S4 cycle: a bounded number of generated requests per
operation, each with a valid bearer token; no 5xx, and every response matches the document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import SOP_DIR
from flask import Flask
from helpers import load_org_file
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from web.api import OPENAPI
from workflow.adapters import schema as db_schema
from workflow.adapters.db import Database, make_engine
from workflow.services.engine import WorkflowService
from workflow.services.tokens import create_token
from workflow.sop.spec import SopRegistry

# One worker runs the whole module under `pytest -n --dist loadgroup`: its module-scoped app is built once.
pytestmark = pytest.mark.xdist_group("fuzz_api")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    from web import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'sakip.db'}"
    engine = make_engine(url)
    db_schema.upgrade(engine)
    engine.dispose()
    db = Database.from_url(url)
    load_org_file(db)
    service = WorkflowService(db, SopRegistry.from_directory(Path(SOP_DIR)))
    service.start("pengukuran-data-kinerja", "kutorejo", "2024-TW1", "camat")  # task and instance ids to hit
    TOKENS["camat"] = create_token(service, "camat")
    db.dispose()
    return create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "fuzz"})


@pytest.fixture(scope="module")
def api_schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# The operations, from the document itself (the schemathesis pytest plugin's fixture loader does
# not work with this pytest, so each operation's strategy is run with hypothesis directly).
OPERATIONS = [(path, method) for path, methods in OPENAPI["paths"].items() for method in methods]


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_the_api_answers_every_generated_request_without_5xx_and_as_documented(
    api_schema: Any, path: str, method: str
) -> None:
    operation = api_schema[path][method.upper()]
    headers = {"Authorization": f"Bearer {TOKENS['camat']}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        derandomize=True,  # the same requests on every run: a failure in CI reproduces locally
        database=None,
    )
    def one_request(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    one_request()


# --- what the fuzzer found, as regressions --------------------------------------------------------


def test_an_id_beyond_the_databases_integer_is_unknown_not_a_server_error(app: Flask) -> None:
    """It reached the database driver (OverflowError on SQLite, out of range on PostgreSQL): 500."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKENS['camat']}"}
    for path in ("/api/v1/instances/9223372036854775808/history", "/api/v1/instances/2147483648/history"):
        answer = client.get(path, headers=headers)
        assert (answer.status_code, answer.json) == (404, {"error": answer.json["error"], "status": 404})
    assert client.post("/api/v1/tasks/9223372036854775808/done", headers=headers, json={}).status_code == 404
    assert client.get("/api/v1/instances/2147483647/history", headers=headers).json["error"] == (
        "unknown instance 2147483647"
    )


def test_urls_under_the_api_that_match_no_route_answer_json(app: Flask) -> None:
    """They answered Werkzeug's HTML page, which the document does not allow."""
    client = app.test_client()
    missing = client.get("/api/v1/no-such-thing")
    assert (missing.status_code, missing.mimetype, missing.json["status"]) == (404, "application/json", 404)
    wrong_method = client.delete("/api/v1/tasks")
    assert (wrong_method.status_code, wrong_method.json["status"]) == (405, 405)
    assert "GET" in wrong_method.headers["Allow"]
    assert client.get("/no-such-page").mimetype == "text/html"  # the pages keep theirs
