"""Shared fixtures: real databases (a SQLite file, a throwaway PostgreSQL server), a frozen clock,
and a service loaded with the real SOP definitions and the demo organisation."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from workflow.adapters import schema
from workflow.adapters.db import Database, make_engine
from workflow.services.engine import WorkflowService
from workflow.services.org import load_org, parse_org_file
from workflow.sop.spec import SopRegistry, SopSpec

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
        with_org = Database.from_url(new_postgres_database(server, name="sakip_template_org"))
        _load_demo_org(with_org)
        with_org.dispose()
        yield server
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


def new_postgres_database(
    server: PostgresServer, migrated: bool = True, *, with_org: bool = False, name: str | None = None
) -> str:
    """A fresh database on SERVER, copied from the migrated template when MIGRATED (from the one
    that also holds the demo organisation when WITH_ORG)."""
    name = name or f"sakip_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        template = " TEMPLATE sakip_template_org" if with_org else " TEMPLATE sakip_template" if migrated else ""
        conn.execute(text(f"CREATE DATABASE {name}{template}"))
    admin.dispose()
    return server.url(name)


# --- databases and the service ---------------------------------------------------------


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: object, _record: object) -> None:
    """SQLite in this test process does not wait for the disk on each commit: the counterpart of
    the test PostgreSQL server's fsync=off. A killed process still loses nothing (the writes are
    in the OS cache); only a crash of the whole machine could, and no test crashes the machine."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (per xdist worker); `db_url` hands out copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "sakip.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    assert not path.with_name("sakip.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def sqlite_org_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated SQLite template with the demo organisation loaded."""
    path = tmp_path_factory.mktemp("sqlite-org-template") / "sakip.db"
    db = Database.from_url(new_sqlite_database(sqlite_template, path))
    _load_demo_org(db)
    db.dispose()
    return path


def _load_demo_org(db: Database) -> None:
    with db.unit_of_work() as uow:
        load_org(uow.session, parse_org_file(ORG_FILE))
        uow.commit()


# The databases db_url created with the demo organisation already in them (see `service`).
_BORN_WITH_ORG: set[str] = set()


def new_sqlite_database(template: Path, path: Path) -> str:
    """A fresh migrated SQLite database at PATH: a copy of TEMPLATE, as PostgreSQL copies its template."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a SQLite file, then a fresh PostgreSQL database.

    For a test that uses `service`, the copy is taken from a template that already holds the demo
    organisation, which `service` would load first thing: the same database, without loading the
    organisation again for every test."""
    with_org = "service" in request.fixturenames
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_org_template" if with_org else "sqlite_template")
        url = new_sqlite_database(template, tmp_path / "sakip.db")
    else:
        url = new_postgres_database(request.getfixturevalue("postgres_server"), with_org=with_org)
    if with_org:
        _BORN_WITH_ORG.add(url)
    return url


@pytest.fixture(scope="session")
def sop_specs() -> list[SopSpec]:
    """The real SOP definitions, parsed and validated once per session (a spec is immutable)."""
    return SopRegistry.from_directory(SOP_DIR).all()


@pytest.fixture
def registry(sop_specs: list[SopSpec]) -> SopRegistry:
    """A registry of its own over the real SOP folder, holding the specs parsed once."""
    return SopRegistry(sop_specs, SOP_DIR)


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
def service(database: Database, db_url: str, registry: SopRegistry, clock: FrozenClock) -> WorkflowService:
    """The engine over a real database holding the demo organisation (Kutorejo)."""
    if db_url not in _BORN_WITH_ORG:
        _load_demo_org(database)
    return WorkflowService(database, registry, clock=clock)
