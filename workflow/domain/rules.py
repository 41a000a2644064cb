"""Who may do what, and when an action is refused: pure rules over plain values, no database.

The services load the rows, then ask these functions. Each rule has one home here, so the page,
the API, the CLI and the scheduler decide alike, and each is unit-tested without a database
(tests/unit/test_task_rules.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from workflow.domain.roles import ROLES, position_key
from workflow.errors import Conflict, InvalidInput

# A task's status.
OPEN = "open"
DONE = "done"

# Who may hand an ASN's open task to someone else: the unit's leaders (and administrators).
REASSIGNERS = frozenset({"camat", "sekcam"})
# Who may switch an instance to another target version (the PK Perubahan), and import a unit's data.
TARGET_SWITCHERS = frozenset({"tim_sakip", "sekcam", "camat"})
IMPORTERS = frozenset({"tim_sakip", "kasubag_ppk", "sekcam"})
# Roles that, held in a unit above, read the units below (Kabupaten Bagian Organisasi, Inspektorat).
MONITORING_ROLES = frozenset({"bag_organisasi", "inspektorat"})
# Every role key a person may hold, and the administrator (who holds no role): what a route open
# to everyone signed in names.
ROLE_KEYS: tuple[str, ...] = (*ROLES, "admin")
# Whose home page links the unit's running instances (the tracker).
TRACKERS = frozenset({"tim_sakip", "sekcam", "camat", "kasubag_ppk"})
# Who follows a unit's data collection (tracker, Kertas Kerja, anyone's Format) in the unit itself.
FOLLOWERS: tuple[str, ...] = ("tim_sakip", "sekcam", "camat", "kasubag_ppk", "bag_organisasi", "inspektorat", "admin")
# Whom a late task's holder answers to: the Camat for the Sekcam, nobody above the Camat, and the
# Sekcam for everyone else (the reminder's escalation).
SUPERIOR: dict[str, str | None] = {"camat": None, "sekcam": "camat"}


class TaskLike(Protocol):
    """What the rules read of a task: its role, its seksi position and the one person it is given to."""

    @property
    def role(self) -> str: ...
    @property
    def seksi(self) -> str | None: ...
    @property
    def assignee_id(self) -> int | None: ...


class HoldingLike(Protocol):
    """A role held in a unit today (`workflow.domain.roles.Holding`)."""

    @property
    def unit_id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def seksi(self) -> str | None: ...
    @property
    def acting(self) -> bool: ...


H = TypeVar("H", bound=HoldingLike)


def may_take(task: TaskLike, role: str, seksi: str | None, person_id: int) -> bool:
    """Whether someone holding ROLE (for SEKSI) may act on TASK.

    A task of a seksi position (one Kasi's fan-out task) is taken by whoever holds that
    position, definitively or as Plt.; a task given to one person (an ASN's fan-out task) only
    by that person; any other task by any holder of its role.
    """
    if role != task.role:
        return False
    if task.seksi is not None:
        return seksi == task.seksi
    return task.assignee_id is None or task.assignee_id == person_id


def holding_for(task: TaskLike, unit_id: int, person_id: int, held: Iterable[H]) -> H | None:
    """The holding (of HELD, definitive ones first) through which PERSON_ID acts on TASK of UNIT_ID.

    A definitive holding wins over a Plt. one, so a Plt. holding acts only where the person holds
    the position in no other way; None if no holding fits."""
    for h in sorted(held, key=lambda h: h.acting):  # stable: the caller's order among equals
        if h.unit_id == unit_id and may_take(task, h.role, h.seksi, person_id):
            return h
    return None


def leading_holding(held: Iterable[H], unit_id: int, roles: frozenset[str]) -> H | None:
    """The first holding in UNIT_ID of one of ROLES: the capacity in which a leader acts."""
    return next((h for h in held if h.unit_id == unit_id and h.role in roles), None)


def may_reassign(held: Iterable[HoldingLike], unit_id: int, is_admin: bool) -> bool:
    """The unit's Camat or Sekcam (or their Plt.), or an administrator, hands an ASN's task on."""
    return is_admin or leading_holding(held, unit_id, REASSIGNERS) is not None


def may_switch_targets(held: Iterable[HoldingLike], unit_id: int, is_admin: bool) -> bool:
    """The unit's Tim SAKIP, Sekcam or Camat (or an administrator) switch an instance's targets."""
    return is_admin or leading_holding(held, unit_id, TARGET_SWITCHERS) is not None


def may_import(held: Iterable[HoldingLike], unit_id: int, is_admin: bool) -> bool:
    """The unit's Tim SAKIP, Kasubag PPK or Sekcam (or an administrator) import indicators and targets."""
    return is_admin or leading_holding(held, unit_id, IMPORTERS) is not None


def superior_of(role: str) -> str | None:
    """The role a holder of ROLE answers to: `camat` for `sekcam`, none for `camat`, else `sekcam`."""
    return SUPERIOR.get(role, "sekcam")


def starting_holding(held: Iterable[H], unit_id: int, first_role: str) -> H | None:
    """The holding through which someone starts an SOP whose first step belongs to FIRST_ROLE."""
    return next((h for h in held if h.unit_id == unit_id and h.role == first_role), None)


@dataclass(frozen=True)
class ActRequest:
    """An action asked on a task, with what the guards need to know of the task and its instance."""

    task_id: int
    action: str
    step_actions: Sequence[str]
    task_status: str
    task_outcome: str | None
    task_step_id: str
    instance_id: int
    instance_state: str
    note: str | None
    has_rows: bool
    finished_by: str | None = None  # username, when the task is finished
    finished_at: str | None = None  # ISO time, when the task is finished


def check_action(request: ActRequest) -> None:
    """Refuse an action that cannot be taken, with the contract's message and the error's code:
    an action the step does not have; a task already finished (by whom, when); an instance that
    moved on; a return with neither a note nor indicator rows (each returned row's note is checked by
    the review step, `step_kinds.returned_rows`); indicator rows on anything but a return."""
    r = request
    if r.action not in r.step_actions:
        actions = ", ".join(r.step_actions)
        raise InvalidInput(
            f"action: {r.action!r} is not an action of task {r.task_id}; use one of {actions}",
            code="action.unknown", action=r.action, task=r.task_id, actions=actions,
        )  # fmt: skip
    if r.task_status != OPEN:
        status = r.task_outcome or r.task_status
        message = f"task {r.task_id} is already {status}"
        if r.finished_by and r.finished_at:
            raise Conflict(
                f"{message} by {r.finished_by} at {r.finished_at}",
                code="task.finished_by_at", task=r.task_id, status=status, by=r.finished_by, at=r.finished_at,
            )  # fmt: skip
        if r.finished_by:
            raise Conflict(f"{message} by {r.finished_by}", code="task.finished_by", task=r.task_id, status=status,
                           by=r.finished_by)  # fmt: skip
        if r.finished_at:  # a finished time without a finisher (a task finished by the scheduler)
            raise Conflict(
                f"{message} at {r.finished_at}",
                code="task.finished_at",
                task=r.task_id,
                status=status,
                at=r.finished_at,
            )
        raise Conflict(message, code="task.finished", task=r.task_id, status=status)
    if r.instance_state != r.task_step_id:
        raise Conflict(
            f"instance {r.instance_id} has moved on to {r.instance_state!r}",
            code="instance.moved_on", instance=r.instance_id, state=r.instance_state,
        )  # fmt: skip
    if r.action == "return" and not r.note and not r.has_rows:  # returned rows carry their own notes
        raise InvalidInput("note: a return needs a note saying what to correct", code="return.needs_note")
    if r.has_rows and r.action != "return":
        raise InvalidInput("rows: only a return can point at indicator rows", code="rows.only_return")


def position_of(task: TaskLike) -> str:
    """The position a task belongs to: `camat`, or `kasi.pelayanan`."""
    return position_key(task.role, task.seksi)
