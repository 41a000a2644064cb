"""Helpers of the reliability suite: the production-like stack, an HTTP client for /api/v1, a
real SMTP sink (threads released at one instant: `run_together` in tests/helpers.py).

(Not a conftest.py: a second conftest module would shadow `tests/conftest.py` for the
`from conftest import ...` lines of the other test folders.)
"""

from __future__ import annotations

import email
import email.policy
import http.client
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import free_port, missing_service

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `deploy` lives at the project root, next to `tests`

from deploy.stack import Stack, find_pg_bindir, running_stack  # noqa: E402


@dataclass
class Response:
    status: int
    body: Any


class Api:
    """A client of /api/v1 with one bearer token per user; a dead server raises OSError."""

    def __init__(self, base_url: str, tokens: dict[str, str], timeout: float = 30):
        host_port = base_url.removeprefix("http://")
        self.host, port = host_port.split(":")
        self.port = int(port)
        self.tokens = tokens
        self.timeout = timeout

    def call(self, method: str, path: str, user: str, body: Any = None) -> Response:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            headers = {"Authorization": f"Bearer {self.tokens[user]}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            raw = conn.getresponse()
            payload = raw.read()
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                parsed = payload.decode(errors="replace")
            return Response(raw.status, parsed)
        finally:
            conn.close()


def pg_stack(workers: int = 2, **kwargs: Any) -> Iterator[Stack]:
    """The stack of deploy/stack.py (fsync off: these tests crash the web and scheduler
    processes, never the database); missing PostgreSQL binaries skip or fail as elsewhere."""
    if find_pg_bindir() is None:
        missing_service("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with running_stack(workers=workers, durable=False, **kwargs) as stack:
        yield stack


# --- a real SMTP server on 127.0.0.1 ---------------------------------------------------------


@dataclass
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str


@dataclass
class MailSink:
    """Records every message accepted; DELAY seconds per message widen the window in which a
    crash can hit a delivery in flight."""

    host: str
    port: int
    delay: float = 0.0
    received: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body()
        if self.delay:
            time.sleep(self.delay)  # blocks the sink's loop: one message at a time, as a slow relay
        with self.lock:
            self.received.append(
                Mail(tuple(envelope.rcpt_tos), str(message["Subject"]), body.get_content() if body else "")
            )
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def smtp_sink(delay: float = 0.0) -> Iterator[MailSink]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        missing_service("aiosmtpd is not installed: no SMTP server to test against")
        raise AssertionError("unreachable") from None
    sink = MailSink("127.0.0.1", free_port(), delay)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
