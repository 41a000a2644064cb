"""Wrong passwords sent at the same instant to gunicorn's worker processes (two workers of eight
threads each, on PostgreSQL): exactly the limit reach the password check, as within one process
(tests/integration/test_login_limit.py, with threads on SQLite and PostgreSQL)."""

from __future__ import annotations

import http.client
import re
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from helpers import PASSWORD, run_together
from reliability_support import pg_stack

from deploy.stack import Stack
from web.auth import MAX_FAILURES

# One worker runs the whole module under `pytest -n --dist loadgroup`: its module-scoped stack is built once.
pytestmark = pytest.mark.xdist_group("login_race")
RACERS = 40


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    yield from pg_stack(workers=2, scheduler=False, env={"GUNICORN_CMD_ARGS": "--threads 8"})


def _login_form(stack: Stack) -> tuple[str, str]:
    """A fresh session cookie and the login form's CSRF token."""
    conn = http.client.HTTPConnection("127.0.0.1", int(stack.url.rsplit(":", 1)[1]), timeout=60)
    try:
        conn.request("GET", "/login")
        response = conn.getresponse()
        page = response.read().decode()
        cookie = next(
            c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [] if c.startswith("sakip_session=")
        )
    finally:
        conn.close()
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found
    return cookie, found.group(1)


def _post_login(stack: Stack, cookie: str, token: str, username: str, password: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", int(stack.url.rsplit(":", 1)[1]), timeout=120)
    try:
        body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/login", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_forty_wrong_passwords_at_once_across_worker_processes_reach_the_check_five_times(stack: Stack) -> None:
    stack.sakip("user", "password", "camat", "--password", PASSWORD)
    calls: list[Callable[[], object]] = []
    for i in range(RACERS):
        cookie, token = _login_form(stack)
        calls.append(lambda c=cookie, t=token, i=i: _post_login(stack, c, t, "camat", f"salah-{i}"))

    statuses = Counter(run_together(calls))

    # 401 answers only a password that was checked and wrong; 429 one refused before the check.
    assert statuses == Counter({401: MAX_FAILURES, 429: RACERS - MAX_FAILURES})
    cookie, token = _login_form(stack)
    assert _post_login(stack, cookie, token, "camat", PASSWORD) == 429  # locked for this address
