"""Run the benchmarks of issue #8 and write bench/results.json and bench/RESULTS.md (`make bench`).

Environment knobs:
- BENCH_SCALE (default 1): the B3 province's size, 1 = 2,000 units on PostgreSQL (about
  1,000,000 task rows) and 400 on SQLite (about 200,000);
- BENCH_ONLY (default all): a comma list such as `B1,B3` (B1-B5, B7);
- BENCH_CYCLES (default 40): S4 cycles per database in B1 and B2;
- BENCH_HTTP_SECONDS (default 30): the length of each B4 phase.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import b1_engine, b2_spiff, b3_scale, b4_http, b5_startup, b7_documents
from bench.common import ROOT, machine, postgres_server
from workflow.adapters import schema
from workflow.adapters.db import make_engine

OUT = ROOT / "bench"
GOALS = {
    "inbox": 50.0,
    "tracker": 150.0,
    "overview": 150.0,
}


def _sqlite(tmp: Path, name: str) -> str:
    url = f"sqlite:///{tmp / name}.db"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run() -> dict[str, Any]:
    only = {s.strip().upper() for s in os.environ.get("BENCH_ONLY", "B1,B2,B3,B4,B5,B7").split(",") if s.strip()}
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    cycles = int(os.environ.get("BENCH_CYCLES", "40"))
    http_seconds = float(os.environ.get("BENCH_HTTP_SECONDS", "30"))
    started = time.perf_counter()
    info = machine()
    results: dict[str, Any] = {"machine": info, "scale": scale, "benchmarks": {}}
    bench = results["benchmarks"]
    with tempfile.TemporaryDirectory(prefix="sakip-bench-") as tmpdir:
        tmp = Path(tmpdir)
        with postgres_server() as pg:
            info["postgresql_settings"] = pg.settings()
            if "B1" in only:
                bench["B1"] = {}
                for kind, url in (("sqlite", _sqlite(tmp, "b1")), ("postgresql", pg.new_database("bench_b1"))):
                    log(f"B1 {kind}: {cycles} S4 cycles, engine then floor")
                    bench["B1"][kind] = b1_engine.bench(url, cycles)
            if "B2" in only:
                bench["B2"] = {}
                for kind, url in (("sqlite", _sqlite(tmp, "b2")), ("postgresql", pg.new_database("bench_b2"))):
                    log(f"B2 {kind}: {cycles} S4 cycles in SpiffWorkflow, persisted per step")
                    spiff = b2_spiff.bench(url, cycles)
                    engine = bench.get("B1", {}).get(kind, {}).get("engine_steps_per_s")
                    if engine is None:
                        fresh = _sqlite(tmp, "b2e") if kind == "sqlite" else pg.new_database("bench_b2e")
                        engine = b1_engine.bench(fresh, cycles)["engine_steps_per_s"]
                    spiff["engine_steps_per_s"] = engine
                    spiff["ratio_engine_to_spiff"] = round(engine / spiff["spiff_steps_per_s"], 2)
                    bench["B2"][kind] = spiff
            if "B3" in only:
                bench["B3"] = {}
                units = max(50, int(2000 * scale))
                log(f"B3 postgresql: generating {units} units, then measuring")
                bench["B3"]["postgresql"] = b3_scale.bench(pg.new_database("bench_b3"), units)
        if "B3" in only:
            units = max(50, int(400 * scale))
            log(f"B3 sqlite: generating {units} units, then measuring")
            bench["B3"]["sqlite"] = b3_scale.bench(_sqlite(tmp, "b3"), units)
    if "B4" in only:
        log(f"B4: gunicorn with 4 workers on PostgreSQL, 3 phases of {http_seconds:.0f} s")
        bench["B4"] = b4_http.bench(http_seconds)
    if "B5" in only:
        log("B5: sakip serve ready, a fresh demo")
        bench["B5"] = b5_startup.bench()
    if "B7" in only:
        log("B7: the Laporan and bukti dukung of a cycle whose every row has a note at the limit")
        bench["B7"] = b7_documents.bench()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    for entry in bench.values():
        entry["commit"] = info["commit"]
    return results


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    b = results["benchmarks"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {m['date']} at commit `{m['commit'][:12]}`"
        f"{' (with uncommitted changes)' if m['working_tree_dirty'] else ''}"
        f" by `make bench` in {results['total_seconds'] / 60:.1f} min.",
        f"Machine: {m['cpu_model']}, {m['cpu_cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}; "
        f"Python {m['python']}, SQLite {m['sqlite']}, {m['postgresql']}.",
    ]
    pgs = m.get("postgresql_settings")
    if pgs:
        lines.append(
            f"PostgreSQL settings: fsync {pgs['fsync']}, synchronous_commit {pgs['synchronous_commit']}, "
            f"shared_buffers {pgs['shared_buffers']}, work_mem {pgs['work_mem']}."
        )
    lines += ["", "| id | what | measured | goal | |", "|---|---|---|---|---|"]
    for kind, r in b.get("B1", {}).items():
        if not isinstance(r, dict):
            continue
        lines.append(
            f"| B1 | engine vs floor, {kind} ({r['cycles']} S4 cycles, {r['engine']['steps']} steps) | engine "
            f"{r['engine_steps_per_s']:.0f} steps/s (p95 {r['engine']['p95_ms']} ms), "
            f"floor {r['floor_steps_per_s']:.0f} "
            f"steps/s; ratio **{r['ratio']:.2f}** | ratio ≥ 0.67 | {_met(r['met'])} |"
        )
        if "statements_per_action" in r:
            st = r["statements_per_action"]
            kinds = ", ".join(f"{k} {v}" for k, v in st["by_step_kind"].items())
            lines.append(f"| B1 | statements per action, {kind} | mean {st['mean']} ({kinds}) | (reported) | |")
    for kind, r in b.get("B2", {}).items():
        if not isinstance(r, dict):
            continue
        lines.append(
            f"| B2 | engine vs SpiffWorkflow, {kind} (persisted per step) | SpiffWorkflow {r['spiff_steps_per_s']:.0f} "
            f"steps/s (p95 {r['p95_ms']} ms, {r['state_bytes_mean'] // 1024} KiB state), engine "
            f"{r['engine_steps_per_s']:.0f}; ratio engine/Spiff **{r['ratio_engine_to_spiff']:.2f}** | reported | — |"
        )
    for kind, r in b.get("B3", {}).items():
        if not isinstance(r, dict):
            continue
        d, p = r["data"], r["pages"]
        size = f"{d['units']} units, {d['rows']['tasks']:,} tasks"
        for page, goal in GOALS.items():
            x = p[page]
            lines.append(
                f"| B3 | {page}, {kind} ({size}) | p50 {x['p50_ms']} ms, p95 **{x['p95_ms']} ms** "
                f"({x['statements_per_call']} statements) | p95 ≤ {goal:.0f} ms | {_met(x['p95_ms'] <= goal)} |"
            )
        scan = p["reminder_scan"]
        lines.append(
            f"| B3 | reminder scan, {kind} ({size}; {d['open_tasks']:,} open, {d['overdue_tasks']:,} overdue) | "
            f"steady **{scan['steady']['seconds']} s**; first {scan['first']['seconds']} s "
            f"({scan['first']['reminders']:,} reminders recorded) | ≤ 1 s | {_met(scan['steady']['seconds'] <= 1)} |"
        )
    if "B4" in b:
        r = b["B4"]
        mix, bad, triv = r["mix"], r["mix_with_malformed"], r["trivial"]
        mal = bad.get("malformed", {})
        lines.append(
            f"| B4 | HTTP mix, gunicorn {r['workers']} workers, PostgreSQL, {r['client_threads']} clients | "
            f"{mix['throughput_rps']} req/s, p95 {mix['p95_ms']} ms, {mix['errors']} errors; /healthz "
            f"{triv['throughput_rps']} req/s; ratio **{r['ratio_to_trivial']:.2f}** | 0 errors "
            f"| {_met(mix['errors'] == 0)} |"
        )
        lines.append(
            f"| B4 | with 10% malformed | {bad['throughput_rps']} req/s, p95 {bad['p95_ms']} ms, "
            f"{bad['errors']} errors; malformed {mal.get('got_4xx', 0)}/{mal.get('count', 0)} got 4xx "
            "| well-formed all succeed, malformed all 4xx "
            f"| {_met(r['met'])} |"
        )
    if "B5" in b:
        r = b["B5"]
        lines.append(f"| B5 | `sakip serve` ready (median of 3) | **{r['serve_ready_s']} s** | reported | — |")
        steps = ", ".join(f"{k} {v} s" for k, v in r["demo_steps_s"].items())
        lines.append(
            f"| B5 | a fresh `make demo` until it serves | **{r['demo_ready_s']} s** ({steps}) | reported | — |"
        )
    if "B7" in b:
        r = b["B7"]
        kinds = (("laporan_pdf", "Laporan PDF"), ("laporan_docx", "Laporan DOCX"), ("bukti_pdf", "bukti PDF"))
        for kind, what in kinds:
            x, y = r["limit"][kind], r["short"][kind]
            lines.append(
                f"| B7 | {what}, every row's note at the limit ({r['note_max']:,} characters) | p50 {x['p50_ms']} "
                f"ms, p95 **{x['p95_ms']} ms**; short notes p50 {y['p50_ms']} ms; ratio "
                f"**{r['ratios_limit_to_short'][kind]:.2f}** | p95 < 1 s | {_met(x['p95_ms'] < 1000)} |"
            )
    lines += ["", "## Notes", ""]
    lines += NOTES
    for kind, r in b.get("B3", {}).items():
        if not isinstance(r, dict):
            continue
        lines += ["", f"### B3 {kind}: data and plans", "", f"Generated in {r['data']['seconds']} s: "
                  + ", ".join(f"{k} {v:,}" for k, v in r["data"]["rows"].items()) + ".", ""]  # fmt: skip
        for page in GOALS:
            lines.append(f"**{page}**, slowest statements of one call:")
            lines.append("")
            for e in r["pages"][page]["explain"]:
                lines += ["```", f"-- {e['ms']} ms: {e['sql'][:300]}", *e["plan"], "```"]
            lines.append("")
    return "\n".join(lines) + "\n"


NOTES = [
    "- B1: the engine is `WorkflowService.act`, one transaction per action, timed per call; the floor writes the "
    "same rows per step with SQLAlchemy Core (task update, audit insert and, when the step moves the instance, "
    "its state update, the next task(s) and their outbox messages), one transaction per step, in the same run and "
    "database. The engine also reads what it checks (user, holdings, instance lock, open siblings, SOP version "
    "pin, the unit's calendar for the due time) and at two steps of 18 writes a document version or a signature.",
    "- B2: a SpiffWorkflow step is a stateless server's action: read the serialised workflow, deserialise, run the "
    "ready user task and the engine steps, serialise, write back, in one transaction on the same database.",
    "- B3: the goals are for one call of the function the page calls (no HTTP, no template). The reminder scan's "
    "goal is judged on a steady-state pass (the scheduler's every-minute pass); the first pass also records what "
    "had fallen due (reminders, notifications, digests) and is shown beside it.",
    "- B4: each of the 10 client threads is one demo user completing only its own tasks; the trivial endpoint is "
    "`/healthz` (one `SELECT`, the schema revision) on the same stack. Client and server share the 2 cores.",
    "- B5: the venv is installed already; `make demo` is timed as its steps run on a new SQLite database.",
    "- B7: Kutorejo 2024-TW1 signed after one return, every realisasi note and the returned row's note at "
    "`NOTE_MAX`; the same cycle with 20-character notes beside it in the same run (issue #13, finding 2).",
]


def main() -> int:
    results = run()
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (OUT / "RESULTS.md").write_text(markdown(results))
    log(f"done in {results['total_seconds'] / 60:.1f} min: bench/results.json, bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
