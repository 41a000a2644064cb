"""Run a piece of untrusted work (filling an office's Word template) in a child process with a
memory ceiling, a CPU ceiling and a wall-clock deadline.

The sandbox (`template_sandbox`) decides what a template may *reach*; it cannot decide what a
template may *cost*: a loop over a long text inside another, a macro that calls itself twice, a
text doubled with `~` twenty times. So the fill runs in a forked child: `RLIMIT_AS` caps its
memory (what the parent already maps plus `memory_mb`), `RLIMIT_CPU` its processor time, and the
parent kills it at the deadline. The parent stays responsive and answers a clear error.

The child inherits the parent's memory (the engine, docxtpl and CairoSVG already imported: forking
costs a few milliseconds) but only the forking thread. It must not use a lock another thread might
have held at the fork: it does not log, does not touch the database, and gets a fresh Jinja lexer
cache. It writes its answer to a pipe and leaves with `os._exit`, running no clean-up of the
parent's (no database connection is closed on the server's behalf).
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from workflow.config import template_limits
from workflow.errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 512
    cpu_seconds: int = 20
    wall_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> Limits:
        """SAKIP_TEMPLATE_MEMORY_MB, SAKIP_TEMPLATE_CPU_SECONDS (the wall deadline is 1.5 times it)."""
        memory, cpu = template_limits()
        return cls(memory, cpu, cpu * 1.5)


class TooCostly(Exception):
    """The work went over its memory, CPU or time limit and was stopped."""


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(work: Callable[[], bytes], limits: Limits, out: int) -> None:
    """In the child: set the ceilings, run WORK, write `R<bytes>`, `I<error as JSON>` or `X<message>`."""
    try:
        import jinja2.lexer
        from jinja2.utils import LRUCache

        jinja2.lexer._lexer_cache = LRUCache(50)  # type: ignore[assignment]  # its lock may be held
        ceiling = _mapped_bytes() + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        try:
            payload = b"R" + work()
        except InvalidInput as exc:  # its message, code and params: the pages translate it by its code
            error = {"message": str(exc), "code": exc.code, "params": exc.params}
            payload = b"I" + json.dumps(error, ensure_ascii=False, default=str).encode("utf-8", "replace")
        except MemoryError:
            payload = b"M"
        except RecursionError:
            payload = b"X" + b"a field calls itself too deeply"
        except BaseException as exc:  # noqa: BLE001  (everything goes back to the parent as text)
            payload = b"X" + json.dumps(f"{type(exc).__name__}: {exc}"[:500]).encode()
        view = memoryview(payload)
        while view:
            written = os.write(out, view)
            view = view[written:]
    finally:
        os._exit(0)


def run_isolated(work: Callable[[], bytes], limits: Limits | None = None) -> bytes:
    """WORK's bytes, computed in a child process under LIMITS.

    InvalidInput raised by WORK is raised again here; any other exception becomes RuntimeError
    with its text; going over a limit raises TooCostly. Without `os.fork` (not Linux) WORK runs here.
    """
    limits = limits or Limits.from_env()
    if not hasattr(os, "fork") or not os.path.exists("/proc/self/statm"):
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child's lines run in another process)
        os.close(read_end)
        _child(work, limits, write_end)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + limits.wall_seconds
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    payload = b"".join(chunks)
    if timed_out or not payload or payload[:1] == b"M":
        raise TooCostly(f"more than {limits.cpu_seconds} s or {limits.memory_mb} MB")
    kind, body = payload[:1], payload[1:]
    if kind == b"R":
        return body
    if kind == b"I":
        error = json.loads(body.decode("utf-8", "replace"))
        raise InvalidInput(error["message"], code=error["code"], **error["params"])
    text = body.decode("utf-8", "replace")
    raise RuntimeError(json.loads(text) if text.startswith('"') else text)
