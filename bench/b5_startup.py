"""B5: start-up. `sakip serve` until /healthz answers 200, a fresh `make demo` until it serves, and
how long the command line takes to answer `--help` and the light commands (median of 10 runs each).

The demo is timed as the Makefile's `demo` target runs it (`sakip init`, `sakip org load`,
`sakip demo`, `sakip serve`) on a new SQLite database, the venv being installed already.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import ROOT, free_port

SAKIP = str(Path(sys.executable).with_name("sakip"))


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sakip serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    raise RuntimeError("sakip serve was not ready in time")


def _serve(env: dict[str, str]) -> float:
    """Seconds from starting `sakip serve` to its first 200 on /healthz."""
    port = free_port()
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [SAKIP, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz", process)
        return time.perf_counter() - t0
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


# The command line's light commands: each must start in under 0.5 s (issue #14).
LIGHT_COMMANDS = {
    "help": ["--help"],
    "sop_validate": ["sop", "validate"],
    "capaian": ["capaian", "--target", "90", "--realisasi", "93,5", "--scale", "capaian"],
    "calendar_due": ["calendar", "due", "--unit", "kutorejo", "--from", "2024-04-01T08:00", "--waktu", "5 hari"],
    "tasks": ["tasks", "--as", "camat"],
}


def _cli(env: dict[str, str], runs: int = 10) -> dict[str, float]:
    """Median seconds of each light command, run RUNS times on the demo's database."""
    medians = {}
    for name, args in LIGHT_COMMANDS.items():
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([SAKIP, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
            times.append(time.perf_counter() - t0)
        medians[name] = round(sorted(times)[len(times) // 2], 3)
    return medians


def bench(runs: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SAKIP_DATABASE_URL=f"sqlite:///{tmp}/demo.db", SAKIP_UPLOAD_DIR=f"{tmp}/uploads",
                   SAKIP_SECRET_KEY="bench")  # fmt: skip
        t0 = time.perf_counter()
        steps = {}
        for name, args in (("init", ["init"]), ("org_load", ["org", "load", "examples/org-kutorejo.yaml"]),
                           ("demo", ["demo", "--unit", "kutorejo", "--password", "bench-password"])):  # fmt: skip
            s0 = time.perf_counter()
            subprocess.run([SAKIP, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
            steps[name] = round(time.perf_counter() - s0, 2)
        steps["serve"] = round(_serve(env), 2)
        demo_total = time.perf_counter() - t0
        serve_times = sorted(_serve(env) for _ in range(runs))
        cli = _cli(env)
    return {
        "serve_ready_s": round(serve_times[len(serve_times) // 2], 2),
        "serve_ready_runs_s": [round(t, 2) for t in serve_times],
        "demo_ready_s": round(demo_total, 2),
        "demo_steps_s": steps,
        "cli_start_s": cli,
    }
