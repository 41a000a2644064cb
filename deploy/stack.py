"""A local production-like stack on 127.0.0.1: PostgreSQL, migrations, gunicorn, one scheduler.

Run it from the project root with the venv's Python::

    .venv/bin/python deploy/stack.py --workers 4 [--port 8000] [--data DIR] [--no-org] [--no-scheduler]

It starts a PostgreSQL server from /usr/lib/postgresql/*/bin (initdb + pg_ctl, as the `postgres`
user when run as root) in DIR (or a temporary directory, removed at exit), creates the role and
database `sakip`, runs `sakip init` (the migrations), loads examples/org-kutorejo.yaml, starts
gunicorn with N workers on 127.0.0.1 and one `sakip scheduler` process, waits until /healthz
answers 200, prints the URLs and the environment to use the `sakip` command against it, and
stops everything on Ctrl-C (or SIGTERM). With --data DIR, a second run reuses the database.

Imported (the load benchmarks and the reliability tests do)::

    from deploy.stack import running_stack

    with running_stack(workers=4) as stack:
        stack.url                     # "http://127.0.0.1:PORT"
        stack.database_url            # "postgresql+psycopg://sakip@127.0.0.1:PGPORT/sakip"
        token = stack.token("camat")  # a bearer token for /api/v1 (`sakip token create`)
        stack.sakip("check")          # any `sakip` command against the stack's database
        stack.kill_web()              # SIGKILL gunicorn (master and workers); start_web() again
        stack.kill_scheduler()        # SIGKILL the scheduler; start_scheduler() again

`running_stack(workers=2, port=0, data=None, org=True, scheduler=True, env=None, durable=True)`:
port 0 picks a free port; `env` adds variables for gunicorn, the scheduler and `stack.sakip`
(for example SAKIP_SMTP_HOST/SAKIP_SMTP_PORT and SAKIP_SCHEDULER_INTERVAL); `durable=False`
runs PostgreSQL with fsync off (tests that never crash the database itself). Logs are in
`stack.root / "logs"`. If `deploy/` is not importable as a package, add the project root to
sys.path or load this file with importlib.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ORG_FILE = ROOT / "examples" / "org-kutorejo.yaml"
DB_NAME = "sakip"
DB_USER = "sakip"


class StackError(RuntimeError):
    """A part of the stack failed to start; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_pg_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb, or the one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Postgres:
    """A PostgreSQL server owned by this stack, in ROOT/pg, listening on 127.0.0.1 only."""

    def __init__(self, root: Path, durable: bool = True, max_connections: int = 200):
        bindir = find_pg_bindir()
        if bindir is None:
            raise StackError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bindir = bindir
        self.dir = root / "pg"
        self.datadir = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = free_port()
        self.durable = durable
        self.max_connections = max_connections
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as Debian's postgres user
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str = DB_NAME, user: str = DB_USER) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.run_as, *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise StackError(f"{' '.join(args[:2])} failed: {done.stderr.strip()}\n{_tail(self.log)}")

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            shutil.chown(self.dir, "postgres", "postgres")
        if not (self.datadir / "PG_VERSION").exists():
            self._run(
                str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections={self.max_connections}"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options, "-l", str(self.log), "-w", "start"
        )
        self._create_database()

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (DB_USER,)).fetchone() is None:
                conn.execute(f"CREATE ROLE {DB_USER} LOGIN")
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone() is None:
                conn.execute(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER} ENCODING 'UTF8'")

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            subprocess.run(
                [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"],
                capture_output=True,
            )


class Stack:
    """The running stack. Start it with `running_stack()`; each part can be killed and restarted."""

    def __init__(
        self,
        root: Path,
        workers: int = 2,
        port: int = 0,
        env: Mapping[str, str] | None = None,
        durable: bool = True,
    ):
        self.root = root
        self.workers = workers
        self.port = port or free_port()
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pg = Postgres(root, durable=durable, max_connections=max(100, 20 * workers + 40))
        self.web: subprocess.Popen[bytes] | None = None
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.env = dict(os.environ)
        self.env.update(
            SAKIP_DATABASE_URL=self.pg.url(),
            SAKIP_SECRET_KEY=secrets.token_hex(32),
            SAKIP_UPLOAD_DIR=str(root / "uploads"),
            SAKIP_SOP_DIR=os.environ.get("SAKIP_SOP_DIR") or str(ROOT / "sop_definitions"),
        )
        self.env.update(env or {})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.pg.url()

    # --- the `sakip` command -------------------------------------------------------------

    def sakip(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run `sakip ARGS` against the stack's database; raise StackError if CHECK and it fails."""
        done = subprocess.run(
            [str(BIN / "sakip"), *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise StackError(f"sakip {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
        return done

    def token(self, username: str) -> str:
        """A new bearer token for USER (`sakip token create --as USER`)."""
        return self.sakip("token", "create", "--as", username).stdout.strip()

    # --- gunicorn --------------------------------------------------------------------------

    def start_web(self, timeout: float = 60, wait: bool = True) -> None:
        """Start gunicorn with the stack's workers and (if WAIT) wait until /healthz answers 200."""
        assert self.web is None or self.web.poll() is not None, "gunicorn is already running"
        log = self.logs / "gunicorn.log"
        with log.open("ab") as out:
            self.web = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "10",
                    "--no-control-socket",  # gunicorn 27's default socket in ~/.gunicorn is shared by every stack
                    "web:create_app()",
                ],  # fmt: skip
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C reaches us, and we stop it in order
            )
        if wait:
            self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.web is None or self.web.poll() is not None:
                raise StackError(f"gunicorn exited\n{_tail(self.logs / 'gunicorn.log')}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise StackError(f"/healthz did not answer 200 in {timeout} s\n{_tail(self.logs / 'gunicorn.log')}")
            time.sleep(0.1)

    def kill_web(self) -> None:
        """SIGKILL gunicorn's master and every worker at once (a crash, not a shutdown)."""
        self._kill_group(self.web, signal.SIGKILL)
        self.web = None

    def stop_web(self) -> None:
        """Stop gunicorn gracefully (SIGTERM: workers finish their requests)."""
        self._stop(self.web, signal.SIGTERM)
        self.web = None

    # --- the scheduler -----------------------------------------------------------------------

    def start_scheduler(self) -> None:
        """Start one `sakip scheduler` process (its first pass runs at once)."""
        assert self.scheduler is None or self.scheduler.poll() is not None, "the scheduler is already running"
        with (self.logs / "scheduler.log").open("ab") as out:
            self.scheduler = subprocess.Popen(
                [str(BIN / "sakip"), "scheduler"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_scheduler(self) -> None:
        self._kill_group(self.scheduler, signal.SIGKILL)
        self.scheduler = None

    def stop_scheduler(self) -> None:
        self._stop(self.scheduler, signal.SIGINT)
        self.scheduler = None

    # --- processes ---------------------------------------------------------------------------

    @staticmethod
    def _kill_group(process: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    @staticmethod
    def _stop(process: subprocess.Popen[bytes] | None, sig: signal.Signals, timeout: float = 20) -> None:
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def close(self) -> None:
        """Stop the scheduler, then gunicorn, then PostgreSQL."""
        try:
            self.stop_scheduler()
        finally:
            try:
                self.stop_web()
            finally:
                self.pg.stop()


@contextlib.contextmanager
def running_stack(
    workers: int = 2,
    port: int = 0,
    data: Path | str | None = None,
    org: bool = True,
    scheduler: bool = True,
    env: Mapping[str, str] | None = None,
    durable: bool = True,
) -> Iterator[Stack]:
    """Start PostgreSQL, migrate, load the demo organisation, start gunicorn and the scheduler.

    Everything is stopped on exit; a temporary data directory (DATA None) is removed.
    """
    temporary = data is None
    root = Path(tempfile.mkdtemp(prefix="sakip-stack-")) if data is None else Path(data).resolve()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # the postgres user must reach ROOT/pg
    stack = Stack(root, workers=workers, port=port, env=env, durable=durable)
    try:
        stack.pg.start()
        stack.sakip("init")
        if org:
            stack.sakip("org", "load", str(ORG_FILE))
        stack.start_web()
        if scheduler:
            stack.start_scheduler()
        yield stack
    finally:
        stack.close()
        if temporary:
            shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=8000, help="the web port on 127.0.0.1 (default 8000; 0: any)")
    parser.add_argument("--data", type=Path, default=None, help="keep the database here (default: a temporary dir)")
    parser.add_argument("--no-org", action="store_true", help="do not load examples/org-kutorejo.yaml")
    parser.add_argument("--no-scheduler", action="store_true", help="do not start `sakip scheduler`")
    args = parser.parse_args(argv)

    stopping = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        with running_stack(
            workers=args.workers, port=args.port, data=args.data, org=not args.no_org, scheduler=not args.no_scheduler
        ) as stack:
            print(f"web:        {stack.url}/  (gunicorn, {stack.workers} workers)")
            print(f"health:     {stack.url}/healthz")
            print(f"api:        {stack.url}/api/v1/openapi.json")
            print(f"database:   {stack.database_url}")
            print(f"scheduler:  {'pid ' + str(stack.scheduler.pid) if stack.scheduler else 'not started'}")
            print(f"logs:       {stack.logs}")
            print(f"sakip CLI:  SAKIP_DATABASE_URL={stack.database_url} .venv/bin/sakip ...")
            print("Ctrl-C stops everything.", flush=True)
            while True:
                for name, process in (("gunicorn", stack.web), ("scheduler", stack.scheduler)):
                    if process is not None and process.poll() is not None:
                        print(f"{name} exited with {process.returncode}; stopping", file=sys.stderr)
                        return 1
                time.sleep(1)
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
