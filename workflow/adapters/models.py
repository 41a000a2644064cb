"""Database rows: organisation, SOP versions, instances, tasks, audit events and the outbox.

The schema itself is owned by the Alembic migrations in `workflow/adapters/migrations`; these mappings
must match them (a test compares the two).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Store UTC, return timezone-aware UTC on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every mapped table."""


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    unit_code: Mapped[str | None] = mapped_column(String(32))
    # Office hours, days off and step budget overrides (see workflow.services.unit_calendars).
    calendar: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # How capaian is capped and rounded (workflow.domain.capaian.POLICIES); inherited from the Kabupaten.
    capaian_policy: Mapped[str | None] = mapped_column(String(32))
    # How a Nota Dinas is numbered, e.g. "065/{seq}/{unit_code}/{year}"; inherited from the Kabupaten.
    nota_dinas_pattern: Mapped[str | None] = mapped_column(String(100))
    # Plausibility bounds of entered realisasi (workflow.domain.plausibility.KEYS); nearest unit wins per key.
    plausibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)


def unit_chain(session: Session, unit: Unit) -> list[Unit]:
    """UNIT and the units above it, nearest first (a Kecamatan, then its Kabupaten …)."""
    chain: list[Unit] = []
    current: Unit | None = unit
    while current is not None and len(chain) < 20:  # a cycle in bad data cannot loop forever
        chain.append(current)
        current = session.get(Unit, current.parent_id) if current.parent_id else None
    return chain


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(32))
    pangkat: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Kept in each web session at login; bumped (org.end_sessions) at logout, password change,
    # deactivation and role removal, which ends every session made before.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RoleAssignment(Base):
    """A person holding a role in a unit for a period; `acting` marks a Plt. assignment."""

    __tablename__ = "role_assignments"
    __table_args__ = (Index("ix_role_assignments_unit_role", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(32))
    seksi: Mapped[str | None] = mapped_column(String(32))
    acting: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    def valid_on(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_to is None or day <= self.valid_to)


class SopVersion(Base):
    """Each SOP version ever started from, with the digest of its file at the time."""

    __tablename__ = "sop_versions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    nama: Mapped[str] = mapped_column(String(300))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (UniqueConstraint("unit_id", "sop_key", "period", name="uq_instances_unit_sop_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_key: Mapped[str] = mapped_column(String(64))
    sop_version: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id", name="fk_instances_cycle_id"), index=True)
    # The target version this cycle is measured against (switching it is an audited action).
    target_set_id: Mapped[int | None] = mapped_column(ForeignKey("target_sets.id", name="fk_instances_target_set_id"))
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_role", "status", "role"),
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_instance_step", "instance_id", "step_id"),
        Index("ix_tasks_finished_by", "finished_by_id", "finished_at"),
        Index("ix_tasks_unit_role_status", "unit_id", "role", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    step_id: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    seksi: Mapped[str | None] = mapped_column(String(32))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Set when a task given to one person was reassigned (they left): whose indicators it owes.
    reassigned_from_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)
    return_note: Mapped[str | None] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}


class AuditEvent(Base):
    """Append-only evidence: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    acting_for: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    step_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """Work to do after commit, written in the same transaction as its cause.

    Engine events (`task_opened`, `instance_finished`) are consumed by the scheduler pass and
    marked processed; `email` messages are delivered by the sender, at most once: a message
    is claimed (`sending`) before it is handed to SMTP, and one found still claimed after a
    crash is recorded `uncertain` instead of being sent again.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_topic_status", "topic", "status", "next_attempt_at"),
        Index("uq_outbox_dedupe_key", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    topic: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Schedule(Base):
    """A Kabupaten's reminder settings, loaded from its schedule file."""

    __tablename__ = "schedules"

    kabupaten_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    lead_working_days: Mapped[list[int]] = mapped_column(JSON)
    max_lateness_minutes: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Cycle(Base):
    """One triwulan or annual cycle of one SOP for every Kecamatan of a Kabupaten."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("kabupaten_id", "sop_key", "period", name="uq_cycles_kabupaten_sop_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kabupaten_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    sop_key: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notification(Base):
    """An in-app notification; `dedupe_key` makes each one exist once."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_person_read", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Reminder(Base):
    """One reminder or escalation owed to one person, recorded once (`key` is unique).

    `pending` until the person's next daily digest carries it (`sent`), or `missed` when it
    fell due longer ago than the Kabupaten's maximum lateness.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_person_status", "person_id", "status"),
        Index("ix_reminders_task_kind", "task_id", "kind"),
        Index("ix_reminders_cycle_kind", "cycle_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))


class CalendarToken(Base):
    """A secret for one iCalendar feed: a person's own, or a unit's (for its Tim SAKIP).

    Only the SHA-256 of the secret is stored; revoking sets `revoked_at`.
    """

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PlanNode(Base):
    """A node of a unit's plan tree for a year: Tujuan, Sasaran or Kinerja Lainnya, Program,
    Kegiatan, Sub Kegiatan. `flag` notes a code whose name disagrees with one already on file."""

    __tablename__ = "plan_nodes"
    __table_args__ = (UniqueConstraint("unit_id", "year", "code", name="uq_plan_nodes_unit_year_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(500))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("plan_nodes.id"))
    flag: Mapped[str | None] = mapped_column(Text)


class Indicator(Base):
    """One performance indicator of a unit for a year (see workflow.domain.indicators for the rules)."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("unit_id", "year", "code", name="uq_indicators_unit_year_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    node_id: Mapped[int] = mapped_column(ForeignKey("plan_nodes.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    satuan: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    aggregation: Mapped[str] = mapped_column(String(16))
    scale: Mapped[str | None] = mapped_column(String(32))
    external_source: Mapped[str | None] = mapped_column(String(64))
    owner_role: Mapped[str | None] = mapped_column(String(32))
    owner_seksi: Mapped[str | None] = mapped_column(String(32))
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    sumber_data: Mapped[str | None] = mapped_column(Text)
    formulation: Mapped[str | None] = mapped_column(Text)
    min_value: Mapped[str | None] = mapped_column(String(40))
    max_value: Mapped[str | None] = mapped_column(String(40))
    penyerapan: Mapped[bool] = mapped_column(Boolean)
    flag: Mapped[str | None] = mapped_column(Text)


class TargetSet(Base):
    """One version of one kind of target document (renstra, pk, pk_perubahan, rencana_aksi) for a year."""

    __tablename__ = "target_sets"
    __table_args__ = (UniqueConstraint("unit_id", "year", "kind", "version", name="uq_target_sets_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(300))


class Target(Base):
    """An indicator's annual target in a set, with quarterly targets in a Rencana Aksi.

    Values are text: a canonical decimal, or a grade for a categorical indicator."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("target_set_id", "indicator_id", name="uq_targets_set_indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_set_id: Mapped[int] = mapped_column(ForeignKey("target_sets.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    annual: Mapped[str] = mapped_column(String(40))
    tw1: Mapped[str | None] = mapped_column(String(40))
    tw2: Mapped[str | None] = mapped_column(String(40))
    tw3: Mapped[str | None] = mapped_column(String(40))
    tw4: Mapped[str | None] = mapped_column(String(40))


class Realisasi(Base):
    """The realisasi of one indicator for one triwulan, with what it was measured against.

    status: dikirim (entered), dikembalikan (returned with `return_note`), diterima (accepted)."""

    __tablename__ = "realisasi"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period", name="uq_realisasi_indicator_period"),
        Index("ix_realisasi_unit_period", "unit_id", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(40))
    numerator: Mapped[str | None] = mapped_column(String(40))
    denominator: Mapped[str | None] = mapped_column(String(40))
    pending: Mapped[bool] = mapped_column(Boolean)
    source_period: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    return_note: Mapped[str | None] = mapped_column(Text)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    target_set_id: Mapped[int | None] = mapped_column(ForeignKey("target_sets.id"))
    target_value: Mapped[str | None] = mapped_column(String(40))
    capaian: Mapped[str | None] = mapped_column(String(40))
    row_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": row_version}


class Evidence(Base):
    """A bukti dukung file of a realisasi; the file itself is stored by its SHA-256 outside the web root."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    realisasi_id: Mapped[int] = mapped_column(ForeignKey("realisasi.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DataEvent(Base):
    """Append-only evidence of data changes outside an instance (imports); triggers refuse UPDATE and DELETE."""

    __tablename__ = "data_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class LoginAttempt(Base):
    """One login attempt, for the limit on failures (per username and per address)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)


class ApiToken(Base):
    """A bearer token of the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Signature(Base):
    """A paraf or tanda tangan on the exact content signed (append-only; one per task)."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("task_id", name="uq_signatures_task"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    acting_for: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DocumentVersion(Base):
    """Each version of a draft as it was submitted for review (append-only)."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("instance_id", "document", "version", name="uq_document_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    document: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DocumentNumber(Base):
    """A document's number (a Nota Dinas's), given once per instance, in sequence per unit and year."""

    __tablename__ = "document_numbers"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "kind", "seq", name="uq_document_numbers_seq"),
        UniqueConstraint("instance_id", "kind", name="uq_document_numbers_instance"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    number: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
