"""The production-like stack (deploy/stack.py: PostgreSQL, gunicorn with two workers) under load
through /api/v1: races across worker processes, gunicorn killed with SIGKILL 20 times, and the
backup and restore of docs/deploy.md on what the load left.

"Acknowledged" means the client received a success answer (201 for a start, 200 for an action).
After every restart the invariants of `sakip check` must hold, and every acknowledged action must
be in the audit trail exactly once. A request cut off by the crash has an unknown outcome: it
may or may not have been applied, but the invariants hold either way.
"""

from __future__ import annotations

import http.client
import itertools
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from conftest import SOP_DIR
from drive import drive
from helpers import S4, assert_consistent, run_together
from reliability_support import Api, pg_stack
from sqlalchemy import select

from deploy.stack import Stack
from workflow.adapters.db import Database
from workflow.adapters.models import AuditEvent
from workflow.services.check import check
from workflow.services.engine import WorkflowService
from workflow.services.tokens import create_token
from workflow.sop.spec import FINISHED_STATE, SopRegistry

# One worker runs the whole module under `pytest -n --dist loadgroup`: its module-scoped stack is built once.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("server_crashes")]

KILLS = 20
CLIENTS = 4
SEED = 20240401


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    yield from pg_stack(workers=2, scheduler=False)


@pytest.fixture(scope="module")
def stack_service(stack: Stack) -> Iterator[WorkflowService]:
    """The engine over the stack's database, in this process: it reads the state to pick the
    next move, and it checks the outcome. Every action goes through HTTP."""
    db = Database.from_url(stack.database_url)
    yield WorkflowService(db, SopRegistry.from_directory(SOP_DIR))
    db.dispose()


@pytest.fixture(scope="module")
def api(stack: Stack, stack_service: WorkflowService) -> Api:
    users = stack_service.usernames_in_unit("kutorejo")
    return Api(stack.url, {u: create_token(stack_service, u) for u in users})


def _periods(first_year: int) -> Iterator[str]:
    for n in itertools.count():
        yield f"{first_year + n // 4}-TW{n % 4 + 1}"


# --- races across gunicorn's worker processes --------------------------------------------------


def test_fifty_http_completions_of_one_task_exactly_one_wins(stack_service: WorkflowService, api: Api) -> None:
    instance_id = stack_service.start(S4, "kutorejo", "2029-TW1", "camat").instance_id
    task_id = stack_service.status(instance_id).waiting_on[0].task_id
    actor = stack_service.candidates(task_id)[0]
    calls: list[Callable[[], object]] = [
        lambda: api.call("POST", f"/api/v1/tasks/{task_id}/done", actor, {}) for _ in range(50)
    ]

    results = run_together(calls)

    statuses = Counter(getattr(r, "status", repr(r)) for r in results)
    assert statuses == Counter({200: 1, 409: 49}), statuses
    events = [e for e in stack_service.history(instance_id) if e.task_id == task_id]
    assert [(e.action, e.actor) for e in events] == [("done", actor)]
    assert_consistent(stack_service)


def test_approve_and_return_of_one_review_over_http_one_wins(stack_service: WorkflowService, api: Api) -> None:
    instance_id = stack_service.start(S4, "kutorejo", "2029-TW2", "camat").instance_id
    drive(stack_service, instance_id, until="reviu_sekcam")
    review = stack_service.status(instance_id).waiting_on[0].task_id
    calls: list[Callable[[], object]] = [
        (lambda: api.call("POST", f"/api/v1/tasks/{review}/approve", "sekcam", {}))
        if i % 2 == 0
        else (lambda: api.call("POST", f"/api/v1/tasks/{review}/return", "sekcam", {"note": "Perbaiki data"}))
        for i in range(20)
    ]

    results = run_together(calls)

    statuses = Counter(getattr(r, "status", repr(r)) for r in results)
    assert statuses == Counter({200: 1, 409: 19}), statuses
    winner = next(r for r in results if getattr(r, "status", None) == 200)
    events = [e for e in stack_service.history(instance_id) if e.task_id == review]
    assert len(events) == 1 and events[0].to_state == winner.body["instance"]["state"]  # type: ignore[attr-defined]
    assert stack_service.status(instance_id).state == winner.body["instance"]["state"]  # type: ignore[attr-defined]
    assert_consistent(stack_service)


# --- gunicorn killed with SIGKILL under load ---------------------------------------------------


@dataclass
class Ledger:
    """What the clients were told succeeded, and what they could not know."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    started: dict[int, str] = field(default_factory=dict)  # instance id -> period
    acted: dict[int, tuple[str, str]] = field(default_factory=dict)  # task id -> (action, user)
    unknown: int = 0
    unexpected: list[str] = field(default_factory=list)

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.started) + len(self.acted)

    def wait_for(self, count: int, timeout: float) -> None:
        with self.lock:
            self.lock.wait_for(lambda: len(self.started) + len(self.acted) >= count, timeout)


class Clients:
    """CLIENTS threads, each driving its own S4 cycles to the end through the API."""

    def __init__(self, api: Api, service: WorkflowService, ledger: Ledger):
        self.api, self.service, self.ledger = api, service, ledger
        self.up = threading.Event()
        self.stop = threading.Event()
        self.periods = _periods(2030)
        self.periods_lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(CLIENTS)]

    def __enter__(self) -> Clients:
        self.up.set()
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.up.set()
        for t in self.threads:
            t.join(timeout=60)

    def _next_move(self, instance_id: int, rng: random.Random) -> tuple[int, str, str, dict[str, str]] | None:
        status = self.service.status(instance_id)
        if status.state == FINISHED_STATE:
            return None
        waiting = rng.choice(status.waiting_on)
        user = self.service.candidates(waiting.task_id)[0]
        view = next(v for v in self.service.tasks_for(user) if v.id == waiting.task_id)
        if "return" in view.actions and rng.random() < 0.2:
            return waiting.task_id, "return", user, {"note": "Mohon dilengkapi"}
        return waiting.task_id, next(a for a in view.actions if a != "return"), user, {}

    def _run(self, n: int) -> None:
        rng = random.Random(SEED + n)
        instance: int | None = None
        while True:
            self.up.wait()
            if self.stop.is_set():
                return
            try:
                if instance is None:
                    with self.periods_lock:
                        period = next(self.periods)
                    body = {"sop_key": S4, "unit": "kutorejo", "period": period}
                    answer = self.api.call("POST", "/api/v1/instances", "camat", body)
                    if answer.status != 201:
                        raise AssertionError(f"start {period}: {answer}")
                    instance = int(answer.body["instance_id"])
                    with self.ledger.lock:
                        self.ledger.started[instance] = period
                        self.ledger.lock.notify_all()
                    continue
                move = self._next_move(instance, rng)
                if move is None:
                    instance = None
                    continue
                task_id, action, user, body = move
                answer = self.api.call("POST", f"/api/v1/tasks/{task_id}/{action}", user, body)
                if answer.status != 200:
                    raise AssertionError(f"{action} task {task_id} as {user}: {answer}")
                with self.ledger.lock:
                    self.ledger.acted[task_id] = (action, user)
                    self.ledger.lock.notify_all()
            except (OSError, http.client.HTTPException):
                # Cut off by the crash (or refused while gunicorn is down): outcome unknown. The
                # next move is chosen from the stored state, so it is never blindly repeated; a
                # start whose answer was lost is abandoned (its period is never reused).
                with self.ledger.lock:
                    self.ledger.unknown += 1
                if instance is not None and self.service.status(instance).state == FINISHED_STATE:
                    instance = None
                if instance is None:
                    time.sleep(0.01)
            except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
                with self.ledger.lock:
                    self.ledger.unexpected.append(f"client {n}: {type(exc).__name__}: {exc}")
                instance = None


def _assert_acknowledged_once(service: WorkflowService, ledger: Ledger) -> tuple[int, int]:
    with ledger.lock:
        started, acted = dict(ledger.started), dict(ledger.acted)
    with service.db.unit_of_work(readonly=True) as uow:
        events = uow.session.execute(
            select(AuditEvent.instance_id, AuditEvent.task_id, AuditEvent.action, AuditEvent.actor)
        ).all()
    starts = Counter(e.instance_id for e in events if e.action == "start")
    by_task: dict[int, list[tuple[str, str]]] = {}
    for e in events:
        if e.task_id is not None:
            by_task.setdefault(e.task_id, []).append((e.action, e.actor))
    lost_starts = [i for i in started if starts[i] != 1]
    assert not lost_starts, f"acknowledged starts missing or doubled: {lost_starts}"
    wrong = {t: (want, by_task.get(t)) for t, want in acted.items() if by_task.get(t) != [want]}
    assert not wrong, f"acknowledged actions not recorded exactly once: {wrong}"
    return len(started), len(acted)


def test_killing_gunicorn_twenty_times_loses_no_acknowledged_action(
    stack: Stack, stack_service: WorkflowService, api: Api
) -> None:
    rng = random.Random(SEED)
    ledger = Ledger()
    with Clients(api, stack_service, ledger) as clients:
        for round_no in range(1, KILLS + 1):
            # A random moment of the load: after 1 to 8 more acknowledged actions, plus up to 0.2 s.
            ledger.wait_for(ledger.acknowledged() + rng.randint(1, 8), timeout=20)
            time.sleep(rng.uniform(0, 0.2))
            clients.up.clear()
            stack.kill_web()
            stack.start_web(wait=False)
            # While gunicorn boots again, before any client resumes: the invariants `sakip check`
            # verifies (the same function, in this process: the command costs a second of imports
            # per round; it runs once at the end) and every acknowledged action, exactly once.
            with stack_service.db.unit_of_work(readonly=True) as uow:
                report = check(uow.session, stack_service.registry)
            assert report.violations == (), f"after kill {round_no}: {report.violations}"
            _assert_acknowledged_once(stack_service, ledger)
            assert not ledger.unexpected, ledger.unexpected
            stack.wait_healthy()
            clients.up.set()
        time.sleep(0.3)
    assert not ledger.unexpected, ledger.unexpected
    started, acted = _assert_acknowledged_once(stack_service, ledger)
    assert started >= 2 and started + acted >= 2 * KILLS, (started, acted)
    assert ledger.unknown >= 1  # the kills did cut requests off
    assert stack.sakip("check").stdout.startswith("ok:")  # the command itself, on the final state


# --- backups, as docs/deploy.md describes them ---------------------------------------------------


def test_a_pg_dump_of_the_live_stack_restores_into_a_database_that_checks_clean(
    stack: Stack, stack_service: WorkflowService
) -> None:
    """docs/deploy.md section 6: pg_dump --format=custom while the stack runs, pg_restore into an
    empty database owned by `sakip`, then `sakip check` on the copy: the same, and clean."""
    import psycopg

    dump = stack.root / "backup.dump"
    plain_url = stack.database_url.replace("+psycopg", "")
    subprocess.run([str(stack.pg.bindir / "pg_dump"), "--format=custom", f"--file={dump}", plain_url], check=True)
    with psycopg.connect(host="127.0.0.1", port=stack.pg.port, user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        conn.execute("CREATE DATABASE sakip_restored OWNER sakip")
    restored = stack.pg.url("sakip_restored")
    subprocess.run(
        [str(stack.pg.bindir / "pg_restore"), "--no-owner", "--role=sakip",
         f"--dbname={restored.replace('+psycopg', '')}", str(dump)],
        check=True,
    )  # fmt: skip
    original = stack.sakip("check").stdout
    copy = stack.sakip("check", "--db", restored).stdout
    assert copy.startswith("ok:") and copy == original
    assert stack.sakip("init", "--db", restored).stdout == stack.sakip("init").stdout  # already at head
