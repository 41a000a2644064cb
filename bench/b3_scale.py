"""B3: a generated province at scale, and the latency of the pages people use most.

The province: `units` Kecamatan, 50 under each Kabupaten, with their people (Camat, sekcam,
Kasubag, staf, five Kasi, two Tim SAKIP and 60-130 ASN, kelurahan staff included), each running
the three SOPs for four periods (S1 and S4 for 2024-TW1..TW4, the LKjIP for 2021-2024). Finished
cycles have their full task histories (reviews returned about one time in six, each task with its
audit event and processed `task_opened` outbox message) and the S4 cycles their realisasi
(15 indicators per unit). It is 22 January 2025: TW IV and the LKjIP 2024 are under way, most
units in S4's ASN fan-out, about 5% of them behind with their tasks overdue by 1-3 days.

Measured through the code the pages call: `queues.task_page` (a user's inbox page),
`PerformanceService.tracker` (the Tim SAKIP tracker), `insight.overview_data` (the Kabupaten
overview) and `ReminderEngine.run_pass` (a reminder scan: the first, which records what has
fallen due, and the next, a steady-state scan). The plans of each page's slowest statements are
recorded with EXPLAIN ANALYZE (PostgreSQL) or EXPLAIN QUERY PLAN (SQLite).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, event, func, insert, select, text

from bench.common import SOP_DIR, latency
from workflow.adapters.db import Database
from workflow.adapters.models import (
    AuditEvent,
    Cycle,
    Indicator,
    Instance,
    OutboxMessage,
    Person,
    PlanNode,
    Realisasi,
    RoleAssignment,
    Task,
    Unit,
)
from workflow.services.dashboards import overview_data
from workflow.services.engine import WorkflowService
from workflow.services.inbox import task_page
from workflow.services.performance import PerformanceService
from workflow.services.reminders import ReminderEngine
from workflow.sop.spec import FINISHED_STATE, SopRegistry, SopSpec, StepKind

NOW = datetime(2025, 1, 22, 3, 0, tzinfo=UTC)  # Wednesday 22 January 2025, 10:00 WIB
UNITS_PER_KABUPATEN = 50
SEKSI = ("pemerintahan", "trantib", "pembangunan", "kemasyarakatan", "pelayanan")
S1, S4, LKJIP = "pengumpulan-data-kinerja", "pengukuran-data-kinerja", "penyusunan-lkjip"
QUARTERS = [f"2024-TW{q}" for q in (1, 2, 3, 4)]
YEARS = ["2021", "2022", "2023", "2024"]
QUARTER_START = {
    "2024-TW1": datetime(2024, 4, 1, 1, tzinfo=UTC),
    "2024-TW2": datetime(2024, 7, 1, 1, tzinfo=UTC),
    "2024-TW3": datetime(2024, 10, 1, 1, tzinfo=UTC),
    "2024-TW4": datetime(2025, 1, 6, 1, tzinfo=UTC),
}
YEAR_START = {y: datetime(int(y) + 1, 1, 6, 1, tzinfo=UTC) for y in YEARS}
HOUR = timedelta(hours=1)


@dataclass
class Rows:
    """The rows of one chunk of units, per table, in insertion order."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)


@dataclass
class Ids:
    """Explicit primary keys, so related rows can be written in bulk without RETURNING."""

    counters: dict[str, int] = field(default_factory=dict)

    def next(self, table: str) -> int:
        self.counters[table] = self.counters.get(table, 0) + 1
        return self.counters[table]


@dataclass
class Samples:
    inbox_users: list[str] = field(default_factory=list)
    tracker_instances: list[int] = field(default_factory=list)
    kabupaten: list[str] = field(default_factory=list)


@dataclass
class UnitPeople:
    unit_id: int
    by_role: dict[str, list[int]]  # role -> person ids (kasi: in SEKSI order)
    usernames: dict[int, str]


class Generator:
    def __init__(self, registry: SopRegistry, seed: int = 8):
        self.rng = random.Random(seed)
        self.ids = Ids()
        self.specs = {key: registry.get(key) for key in (S1, S4, LKJIP)}
        self.samples = Samples()
        self.counts: dict[str, int] = {}

    # --- organisation ------------------------------------------------------------------

    def kabupaten(self, rows: Rows, k: int) -> int:
        unit_id = self.ids.next("units")
        rows.add("units", {"id": unit_id, "code": f"kab{k:03d}", "name": f"Kabupaten {k:03d}", "kind": "kabupaten",
                           "parent_id": None, "timezone": "Asia/Jakarta", "unit_code": f"4{k:02d}",
                           "capaian_policy": "mojokerto"})  # fmt: skip
        self.samples.kabupaten.append(f"kab{k:03d}")
        return unit_id

    def cycles(self, rows: Rows, kabupaten_id: int) -> dict[tuple[str, str], int]:
        ids = {}
        for key, periods, starts, days in ((S1, QUARTERS, QUARTER_START, 40), (S4, QUARTERS, QUARTER_START, 45),
                                           (LKJIP, YEARS, YEAR_START, 53)):  # fmt: skip
            for period in periods:
                cycle_id = self.ids.next("cycles")
                opens = starts[period]
                rows.add("cycles", {"id": cycle_id, "kabupaten_id": kabupaten_id, "sop_key": key, "period": period,
                                    "opens_at": opens, "deadline_at": opens + timedelta(days=days),
                                    "opened_at": opens})  # fmt: skip
                ids[(key, period)] = cycle_id
        return ids

    def people(self, rows: Rows, u: int, unit_id: int) -> UnitPeople:
        by_role: dict[str, list[int]] = {}
        usernames: dict[int, str] = {}

        def person(slug: str, roles: list[tuple[str, str | None]]) -> None:
            person_id = self.ids.next("people")
            username = f"u{u:04d}.{slug}"
            usernames[person_id] = username
            rows.add("people", {"id": person_id, "username": username, "name": f"Pegawai {u}-{slug}",
                                "nip": f"19{u:06d}{person_id:08d}"[:18], "email": f"{username}@example.org",
                                "is_admin": False, "active": True})  # fmt: skip
            for role, seksi in roles:
                rows.add("role_assignments", {"id": self.ids.next("role_assignments"), "person_id": person_id,
                                              "unit_id": unit_id, "role": role, "seksi": seksi,
                                              "acting": False})  # fmt: skip
                by_role.setdefault(role, []).append(person_id)

        person("camat", [("camat", None)])
        person("sekcam", [("sekcam", None)])
        person("kasubag", [("kasubag_ppk", None), ("asn", None)])
        person("staf", [("staf_perencanaan", None), ("pengadministrasi", None), ("asn", None)])
        for seksi in SEKSI:
            person(f"kasi.{seksi}", [("kasi", seksi), ("asn", None)])
        for n in (1, 2):
            person(f"tim.sakip{n}", [("tim_sakip", None), ("asn", None)])
        for n in range(self.rng.randint(60, 130) - len(by_role["asn"])):
            person(f"asn{n:03d}", [("asn", None)])
        return UnitPeople(unit_id, by_role, usernames)

    def indicators(self, rows: Rows, people: UnitPeople) -> list[int]:
        node_id = self.ids.next("plan_nodes")
        rows.add("plan_nodes", {"id": node_id, "unit_id": people.unit_id, "year": 2024, "code": "1",
                                "kind": "sasaran", "name": "Meningkatnya kualitas pelayanan"})  # fmt: skip
        owners: list[tuple[str | None, str | None, int | None]] = [("kasi", s, None) for s in SEKSI]
        owners += [("tim_sakip", None, None)] * 2
        owners += [(None, None, pid) for pid in self.rng.sample(people.by_role["asn"], 8)]
        ids = []
        for position, (role, seksi, person_id) in enumerate(owners, start=1):
            indicator_id = self.ids.next("indicators")
            rows.add("indicators", {"id": indicator_id, "unit_id": people.unit_id, "year": 2024,
                                    "code": f"KL-{position}", "node_id": node_id, "position": position,
                                    "name": f"Indikator {position}", "satuan": "%", "kind": "number",
                                    "direction": "positive", "aggregation": "last", "owner_role": role,
                                    "owner_seksi": seksi, "owner_person_id": person_id,
                                    "penyerapan": False})  # fmt: skip
            ids.append(indicator_id)
        return ids

    # --- task histories ------------------------------------------------------------------

    def _holders(self, people: UnitPeople, step_role: str) -> list[tuple[str | None, int]]:
        if step_role == "kasi":
            return list(zip(SEKSI, people.by_role["kasi"], strict=True))
        return [(None, pid) for pid in people.by_role[step_role]]

    def instance(
        self, rows: Rows, people: UnitPeople, spec: SopSpec, period: str, cycle_id: int, started: datetime,
        stop_at: int | None, late: bool,
    ) -> tuple[int, str]:  # fmt: skip
        """One instance with its history; STOP_AT (a step index) leaves it open there."""
        instance_id = self.ids.next("instances")
        t = started
        audit = []

        def event(task_id: int | None, actor: int | None, action: str, step: str | None, frm: str | None,
                  to: str, at: datetime) -> None:  # fmt: skip
            audit.append({"id": self.ids.next("audit_events"), "instance_id": instance_id, "task_id": task_id,
                          "at": at, "actor_id": actor, "actor": people.usernames.get(actor or 0, "scheduler"),
                          "role": None, "action": action, "step_id": step, "from_state": frm,
                          "to_state": to})  # fmt: skip

        event(None, None, "start", None, None, spec.steps[0].id, t)
        index, rounds, state = 0, dict.fromkeys([s.id for s in spec.steps], 0), spec.steps[0].id
        finished_at = None
        visited = 0
        while True:
            step = spec.steps[index]
            rounds[step.id] += 1
            state = step.id
            if step.kind is StepKind.FANOUT:
                holders = self._holders(people, step.pelaksana)
            else:
                pool = people.by_role[step.pelaksana]
                holders = [(None, None)]  # a role's task: any holder takes it
            open_here = stop_at is not None and visited >= stop_at
            if open_here:
                # The cycle is here now: opened a while ago, due soon (or overdue for late units).
                t = NOW - (timedelta(days=self.rng.randint(2, 4)) if late else self.rng.random() * 20 * HOUR)
            due = None if step.kind is StepKind.ARCHIVE else t + (timedelta(days=1) if late else 2 * timedelta(days=1))
            decision = (
                "return"
                if step.kind is StepKind.REVIEW and rounds[step.id] == 1 and self.rng.random() < 1 / 6
                else None
            )
            done_share = self.rng.random() if step.kind is StepKind.FANOUT else 0.0
            for seksi, assignee in holders:
                task_id = self.ids.next("tasks")
                actor = assignee if assignee is not None else self.rng.choice(pool)
                finish = not open_here or (step.kind is StepKind.FANOUT and self.rng.random() < done_share)
                at = t + self.rng.random() * 20 * HOUR
                outcome = decision or step.actions[0]
                rows.add("tasks", {"id": task_id, "instance_id": instance_id, "unit_id": people.unit_id,
                                   "step_id": step.id, "round": rounds[step.id], "role": step.pelaksana,
                                   "seksi": seksi, "assignee_id": assignee,
                                   "status": "done" if finish else "open", "outcome": outcome if finish else None,
                                   "created_at": t, "due_at": due, "finished_at": at if finish else None,
                                   "finished_by_id": actor if finish else None,
                                   "note": "Mohon diperbaiki" if finish and decision else None,
                                   "row_version": 2 if finish else 1})  # fmt: skip
                rows.add("outbox", {"id": self.ids.next("outbox"), "created_at": t, "topic": "task_opened",
                                    "instance_id": instance_id, "status": "processed", "attempts": 0,
                                    "processed_at": t + timedelta(minutes=1),
                                    "payload": {"task_id": task_id, "step_id": step.id,
                                                "role": step.pelaksana}})  # fmt: skip
                if finish:
                    nxt = step.id if step.kind is StepKind.FANOUT else "?"
                    event(task_id, actor, outcome, step.id, step.id, nxt, at)
            if open_here:
                break
            t += timedelta(days=1) + self.rng.random() * 30 * HOUR
            visited += 1
            if decision == "return":
                assert step.return_to is not None
                index = next(i for i, s in enumerate(spec.steps) if s.id == step.return_to)
            elif index + 1 < len(spec.steps):
                index += 1
            else:
                state, finished_at = FINISHED_STATE, t
                break
            for e in audit:  # the last action of a step moved the instance to the next one
                if e["to_state"] == "?":
                    e["to_state"] = spec.steps[index].id
        for e in audit:
            if e["to_state"] == "?":
                e["to_state"] = FINISHED_STATE
        for e in audit:
            rows.add("audit_events", e)
        if finished_at is not None:
            rows.add("outbox", {"id": self.ids.next("outbox"), "created_at": finished_at, "topic": "instance_finished",
                                "instance_id": instance_id, "status": "processed", "attempts": 0,
                                "processed_at": finished_at, "payload": {"instance_id": instance_id}})  # fmt: skip
        rows.tables.setdefault("instances", []).insert(
            0,
            {"id": instance_id, "sop_key": spec.key, "sop_version": spec.version, "unit_id": people.unit_id,
             "period": period, "state": state, "started_at": started, "finished_at": finished_at,
             "cycle_id": cycle_id, "row_version": 1 + visited},
        )  # fmt: skip
        return instance_id, state

    def realisasi(self, rows: Rows, people: UnitPeople, indicators: list[int], instance_id: int, period: str,
                  state: str, entered: datetime) -> None:  # fmt: skip
        spec = self.specs[S4]
        index = next((i for i, s in enumerate(spec.steps) if s.id == state), len(spec.steps))
        fanout = next(i for i, s in enumerate(spec.steps) if s.kind is StepKind.FANOUT)
        for indicator_id in indicators:
            if state == FINISHED_STATE or index > fanout:
                status: str | None = "diterima" if state == FINISHED_STATE else "dikirim"
            elif index == fanout:
                status = self.rng.choices(["dikirim", None, "dikembalikan"], [5, 4, 1])[0]
            else:
                status = None
            if status is None:
                continue
            rows.add("realisasi", {"id": self.ids.next("realisasi"), "indicator_id": indicator_id,
                                   "unit_id": people.unit_id, "period": period,
                                   "value": str(self.rng.randint(60, 100)), "pending": False, "status": status,
                                   "return_note": "Mohon dicek" if status == "dikembalikan" else None,
                                   "entered_by_id": people.by_role["asn"][0], "entered_at": entered,
                                   "instance_id": instance_id, "target_value": "90", "capaian": "100.00",
                                   "row_version": 1})  # fmt: skip

    def unit(self, rows: Rows, u: int, kabupaten_id: int, cycles: dict[tuple[str, str], int]) -> None:
        unit_id = self.ids.next("units")
        rows.add("units", {"id": unit_id, "code": f"kec{u:04d}", "name": f"Kecamatan {u:04d}", "kind": "kecamatan",
                           "parent_id": kabupaten_id, "timezone": "Asia/Jakarta", "unit_code": f"{u:04d}"})  # fmt: skip
        people = self.people(rows, u, unit_id)
        indicators = self.indicators(rows, people)
        late = self.rng.random() < 0.05
        s4 = self.specs[S4]
        fanout = next(i for i, s in enumerate(s4.steps) if s.kind is StepKind.FANOUT)
        for period in QUARTERS:
            current = period == "2024-TW4"
            start = QUARTER_START[period]
            stop = None
            if current and self.rng.random() < 0.4:
                stop = self.rng.randint(3, len(self.specs[S1].steps) - 1)
            self.instance(rows, people, self.specs[S1], period, cycles[(S1, period)], start, stop, late)
            stop = None
            if current:
                stop = fanout if self.rng.random() < 0.6 else self.rng.randint(0, len(s4.steps) - 1)
            start4 = start + timedelta(days=3)
            instance_id, state = self.instance(rows, people, s4, period, cycles[(S4, period)], start4, stop, late)
            self.realisasi(rows, people, indicators, instance_id, period, state, start4 + timedelta(days=5))
            if current and state != FINISHED_STATE:
                self.samples.tracker_instances.append(instance_id)
        for year in YEARS:
            stop = self.rng.randint(0, 4) if year == "2024" else None
            self.instance(rows, people, self.specs[LKJIP], year, cycles[(LKJIP, year)], YEAR_START[year], stop, late)
        if len(self.samples.inbox_users) < 400:
            picks = ["camat", "sekcam", "tim.sakip1", "kasi.pelayanan", "staf", "kasubag"]
            picks += [f"asn{n:03d}" for n in range(3)]
            self.samples.inbox_users += [f"u{u:04d}.{slug}" for slug in picks]


TABLE_ORDER = ["units", "cycles", "people", "role_assignments", "plan_nodes", "indicators", "instances", "tasks",
               "audit_events", "outbox", "realisasi"]  # fmt: skip
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Unit.__table__,
        Cycle.__table__,
        Person.__table__,
        RoleAssignment.__table__,
        PlanNode.__table__,
        Indicator.__table__,
        Instance.__table__,
        Task.__table__,
        AuditEvent.__table__,
        OutboxMessage.__table__,
        Realisasi.__table__,
    )  # fmt: skip
}


def _uniform(items: list[dict[str, Any]]) -> list[str]:
    """The columns of ITEMS, every row completed with None where it has no value."""
    columns = list(dict.fromkeys(c for item in items for c in item))
    for item in items:
        for c in columns:
            item.setdefault(c, None)
    return columns


def _write(engine: Engine, rows: Rows) -> None:
    """Write one chunk: COPY on PostgreSQL, executemany on SQLite."""
    for items in rows.tables.values():
        _uniform(items)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            conn: Any = raw.driver_connection
            with conn.cursor() as cur:
                for name in TABLE_ORDER:
                    items = rows.tables.get(name)
                    if not items:
                        continue
                    columns = list(items[0])
                    with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for item in items:
                            copy.write_row(
                                [json.dumps(v) if isinstance(v, dict) else v for v in (item[c] for c in columns)]
                            )
            conn.commit()
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        for name in TABLE_ORDER:
            items = rows.tables.get(name)
            if items:
                conn.execute(insert(TABLES[name]), items)


def generate(db: Database, registry: SopRegistry, units: int, chunk: int = 50) -> tuple[Generator, dict[str, Any]]:
    gen = Generator(registry)
    started = time.perf_counter()
    for k in range(max(1, -(-units // UNITS_PER_KABUPATEN))):
        rows = Rows()
        kabupaten_id = gen.kabupaten(rows, k)
        cycles = gen.cycles(rows, kabupaten_id)
        first = k * UNITS_PER_KABUPATEN
        for u in range(first, min(units, first + UNITS_PER_KABUPATEN)):
            gen.unit(rows, u, kabupaten_id, cycles)
        for name, items in rows.tables.items():
            gen.counts[name] = gen.counts.get(name, 0) + len(items)
        _write(db.engine, rows)
    generated = time.perf_counter() - started
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            for name in TABLE_ORDER:
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return gen, {"seconds": round(time.perf_counter() - started, 1), "write_seconds": round(generated, 1),
                 "rows": dict(gen.counts)}  # fmt: skip


class StatementLog:
    """The statements one call sends, with their parameters and time, to EXPLAIN the slowest."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.items: list[tuple[float, str, Any]] = []
        self._t0 = 0.0

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        self._t0 = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.items.append(((time.perf_counter() - self._t0) * 1000, statement, params))

    def explain(self, top: int = 3) -> list[dict[str, Any]]:
        worst: dict[str, tuple[float, str, Any]] = {}
        for ms, statement, params in self.items:
            if statement not in worst or worst[statement][0] < ms:
                worst[statement] = (ms, statement, params)
        out = []
        for ms, statement, params in sorted(worst.values(), key=lambda w: -w[0])[:top]:
            prefix = (
                "EXPLAIN (ANALYZE, COSTS OFF) " if self.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
            )
            with self.engine.connect() as conn:
                plan = conn.exec_driver_sql(prefix + statement, params).all()
            lines = [" ".join(str(c) for c in row) if self.engine.dialect.name == "sqlite" else str(row[0])
                     for row in plan]  # fmt: skip
            out.append({"ms": round(ms, 2), "sql": " ".join(statement.split())[:600], "plan": lines})
        return out


def _measure(db: Database, fn: Any, args: list[Any], repeat: int) -> dict[str, Any]:
    """Latency of FN over ARGS (cycled), then one more call logged for the statements and plans."""
    state = {"i": 0}

    def call() -> None:
        fn(args[state["i"] % len(args)])
        state["i"] += 1

    result: dict[str, Any] = latency(call, repeat)
    with StatementLog(db.engine) as log:
        fn(args[0])
    result["statements_per_call"] = len(log.items)
    result["explain"] = log.explain()
    return result


def bench(url: str, units: int, repeat: int = 100) -> dict[str, Any]:
    registry = SopRegistry.from_directory(SOP_DIR)
    db = Database.from_url(url)
    gen, data = generate(db, registry, units)
    service = WorkflowService(db, registry, clock=lambda: NOW)
    perf = PerformanceService(db, registry, clock=lambda: NOW)
    rng = random.Random(1)
    users = rng.sample(gen.samples.inbox_users, min(60, len(gen.samples.inbox_users)))
    trackers = rng.sample(gen.samples.tracker_instances, min(60, len(gen.samples.tracker_instances)))
    with db.unit_of_work(readonly=True) as uow:
        data["open_tasks"] = uow.session.scalar(select(func.count(Task.id)).where(Task.status == "open"))
        data["overdue_tasks"] = uow.session.scalar(
            select(func.count(Task.id)).where(Task.status == "open", Task.due_at <= NOW)
        )
    data["units"] = units
    data["kabupaten"] = len(gen.samples.kabupaten)
    pages = {
        "inbox": _measure(db, lambda u: task_page(service, u, "inbox"), users, repeat),
        "tracker": _measure(db, perf.tracker, trackers, repeat),
        "overview": _measure(db, lambda k: overview_data(service, k), gen.samples.kabupaten, max(20, repeat // 4)),
    }
    engine = ReminderEngine(service)
    scans = []
    for _ in range(2):
        t0 = time.perf_counter()
        report = engine.run_pass()
        scans.append({"seconds": round(time.perf_counter() - t0, 3), "reminders": report.reminders,
                      "missed": report.missed, "digests": report.digests, "problems": report.problems[:3]})  # fmt: skip
    pages["reminder_scan"] = {"first": scans[0], "steady": scans[1]}
    db.dispose()
    return {"data": data, "pages": pages}
