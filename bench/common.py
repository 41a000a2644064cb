"""What every benchmark shares: the machine's description, a throwaway PostgreSQL server, timing."""

from __future__ import annotations

import glob
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from workflow.adapters import schema
from workflow.adapters.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
SOP_DIR = ROOT / "sop_definitions"
ORG_FILE = ROOT / "examples" / "org-kutorejo.yaml"

# Production-like durability (fsync and synchronous_commit stay on); more memory than the default
# so the scale benchmark's working set fits, as it would on a server with 24 GiB.
PG_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "max_connections": "200",
    "listen_addresses": "127.0.0.1",
}


def _cmd(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    """The commit, the software versions and the hardware a figure was measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    dirty = _cmd(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    bindir = pg_bindir()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "commit": _cmd(["git", "-C", str(ROOT), "rev-parse", "HEAD"]),
        "working_tree_dirty": bool(dirty),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _cmd([str(bindir / "postgres"), "--version"]) if bindir else None,
        "cpu_model": models[0] if models else platform.processor(),
        "cpu_cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
    }


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    workdir: Path
    port: int
    run_as: list[str]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str, *, migrated: bool = True) -> str:
        """A new database NAME (dropped first if it exists), at the schema's head when MIGRATED."""
        admin = make_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = self.url(name)
        if migrated:
            engine = make_engine(url)
            schema.upgrade(engine)
            engine.dispose()
        return url

    def settings(self) -> dict[str, str]:
        engine = make_engine(self.url("postgres"))
        with engine.connect() as conn:
            names = ["fsync", "synchronous_commit", "shared_buffers", "work_mem", "wal_level"]
            values = {n: str(conn.execute(text(f"SHOW {n}")).scalar()) for n in names}
            values["server_version"] = str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return values


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own in a temporary directory, stopped and removed afterwards."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    workdir = Path(tempfile.mkdtemp(prefix="sakip-bench-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: the server runs as Debian's postgres user.
        shutil.chown(workdir, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    datadir = workdir / "data"
    port = free_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {workdir} " + " ".join(f"-c {k}={v}" for k, v in PG_SETTINGS.items())
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield PostgresServer(bindir, workdir, port, run_as)
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


def percentile(values: list[float], p: float) -> float:
    """The P-th percentile (0-100) by linear interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency(fn: Callable[[], Any], repeat: int, warmup: int = 2) -> dict[str, float]:
    """Call FN WARMUP times, then REPEAT times; p50/p95/max in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "n": repeat,
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "max_ms": round(max(times), 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }
