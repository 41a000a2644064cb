"""Database engines and the unit of work: one use case, one transaction."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

_READONLY = "sakip_readonly"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for URL: a SQLite file (made if missing) or PostgreSQL via psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.render_as_string(hide_password=False), **kwargs)
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction takes the write lock when it starts, so two writers queue up
        # instead of both reading the same row and one failing half-way with "locked".
        if conn.get_execution_options().get(_READONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine with its session factories for writing and reading."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write = sessionmaker(bind=engine, expire_on_commit=False)
        self._read = sessionmaker(bind=engine.execution_options(**{_READONLY: True}), expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        return UnitOfWork(self._read if readonly else self._write, readonly=readonly)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """A session that commits once, explicitly; leaving without commit rolls everything back."""

    session: Session

    def __init__(self, factory: sessionmaker[Session], readonly: bool = False):
        self._factory = factory
        self._readonly = readonly

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._readonly:
                # What was read stays readable after the block (detached, not expired).
                self.session.expunge_all()
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()


def insert_once(session: Session, model: type[Any], values: dict[str, Any], key: str | list[str]) -> bool:
    """INSERT unless a row with the same unique KEY column exists; True if this call inserted it.

    Two processes recording the same fact at the same moment both succeed, and the fact exists
    once (ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike).
    """
    # Each dialect's INSERT is imported when it is used: a command on SQLite never loads PostgreSQL's.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert: Any = pg_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert
    table = model.__table__
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[key] if isinstance(key, str) else key)
        .returning(*table.primary_key.columns)
    )
    # rowcount is not reliable here (PostgreSQL reports -1 with RETURNING): a returned row is.
    return session.execute(statement).first() is not None
