"""Shared fixtures: real databases (a SQLite file, a throwaway PostgreSQL server), a frozen clock,
and a service loaded with the real SOP definitions and the demo organisation."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from workflow.adapters import schema
from workflow.adapters.db import Database, make_engine
from workflow.services.engine import WorkflowService
from workflow.services.org import load_org, parse_org_file
from workflow.sop.spec import SopRegistry

ROOT = Path(__file__).resolve().parent.parent
SOP_DIR = ROOT / "sop_definitions"
ORG_FILE = ROOT / "examples" / "org-kutorejo.yaml"
REQUIRE_ALL = os.environ.get("SAKIP_REQUIRE_ALL") == "1"


def missing_service(reason: str) -> None:
    """Skip locally; fail under SAKIP_REQUIRE_ALL=1, where every real service must be there."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (SAKIP_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


class FrozenClock:
    """Injected time: tests move it explicitly instead of sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


# --- PostgreSQL ------------------------------------------------------------------------


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    run_as: list[str]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


def _find_pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _find_pg_bindir()
    if bindir is None:
        missing_service("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        raise AssertionError("unreachable")
    workdir = Path(tempfile.mkdtemp(prefix="sakip-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the server as Debian's postgres user.
        shutil.chown(workdir, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    datadir = workdir / "data"
    port = free_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
    )
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(bindir, datadir, port, run_as)
    try:
        template = make_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
        with template.connect() as conn:
            conn.execute(text("CREATE DATABASE sakip_template"))
        template.dispose()
        migrated = make_engine(server.url("sakip_template"))
        schema.upgrade(migrated)
        migrated.dispose()
        yield server
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def new_postgres_database(server: PostgresServer, migrated: bool = True) -> str:
    """A fresh database on SERVER, copied from the migrated template when MIGRATED."""
    name = f"sakip_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        template = " TEMPLATE sakip_template" if migrated else ""
        conn.execute(text(f"CREATE DATABASE {name}{template}"))
    admin.dispose()
    return server.url(name)


# --- databases and the service ---------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sakip.db'}"
        engine = make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        return url
    server = request.getfixturevalue("postgres_server")
    return new_postgres_database(server)


@pytest.fixture
def registry() -> SopRegistry:
    return SopRegistry.from_directory(SOP_DIR)


@pytest.fixture
def clock() -> FrozenClock:
    # Monday 1 April 2024, 09:00 WIB: the first working day after triwulan I.
    return FrozenClock(datetime(2024, 4, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database.from_url(db_url)
    yield db
    db.dispose()


@pytest.fixture
def service(database: Database, registry: SopRegistry, clock: FrozenClock) -> WorkflowService:
    """The engine over a real database holding the demo organisation (Kutorejo)."""
    with database.unit_of_work() as uow:
        load_org(uow.session, parse_org_file(ORG_FILE))
        uow.commit()
    return WorkflowService(database, registry, clock=clock)
