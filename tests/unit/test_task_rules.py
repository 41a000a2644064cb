"""The engine's rules as pure functions: who may take a task, reassign it, switch targets or import,
who is whose superior, and when an action is refused. Plain fakes, no database."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from workflow.domain.roles import Holding
from workflow.domain.rules import (
    DONE,
    OPEN,
    ActRequest,
    check_action,
    holding_for,
    leading_holding,
    may_import,
    may_reassign,
    may_switch_targets,
    may_take,
    starting_holding,
    superior_of,
)
from workflow.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class FakeTask:
    role: str
    seksi: str | None = None
    assignee_id: int | None = None


def _task(role: str, seksi: str | None = None, assignee_id: int | None = None) -> FakeTask:
    return FakeTask(role=role, seksi=seksi, assignee_id=assignee_id)


def test_a_role_task_may_be_taken_by_any_holder_of_the_role() -> None:
    task = _task("tim_sakip")
    assert may_take(task, "tim_sakip", None, 1) and may_take(task, "tim_sakip", None, 2)
    assert not may_take(task, "sekcam", None, 1)


def test_a_persons_fan_out_task_may_be_taken_only_by_that_person() -> None:
    task = _task("asn", assignee_id=7)
    assert may_take(task, "asn", None, 7)
    assert not may_take(task, "asn", None, 8)


def test_a_seksi_task_may_be_taken_by_whoever_holds_that_seksi_including_a_plt() -> None:
    task = _task("kasi", seksi="pelayanan", assignee_id=3)
    assert may_take(task, "kasi", "pelayanan", 3)
    assert may_take(task, "kasi", "pelayanan", 9)  # the Plt. Kasi Pelayanan
    assert not may_take(task, "kasi", "trantib", 3)


# --- through which holding ------------------------------------------------------------------

UNIT, OTHER = 1, 2


def test_a_definitive_holding_wins_over_a_plt_holding_of_the_same_position() -> None:
    plt = Holding(UNIT, "kasi", "pelayanan", acting=True)
    own = Holding(UNIT, "kasi", "pelayanan", acting=False)
    assert holding_for(_task("kasi", "pelayanan"), UNIT, 5, [plt, own]) is own


def test_a_plt_holding_acts_where_the_person_holds_the_position_in_no_other_way() -> None:
    plt = Holding(UNIT, "kasi", "trantib", acting=True)
    own = Holding(UNIT, "kasi", "pelayanan", acting=False)
    assert holding_for(_task("kasi", "trantib"), UNIT, 5, [own, plt]) is plt


def test_a_holding_in_another_unit_does_not_reach_the_task() -> None:
    elsewhere = Holding(OTHER, "tim_sakip", None, acting=False)
    assert holding_for(_task("tim_sakip"), UNIT, 5, [elsewhere]) is None


# --- leaders: reassign, switch targets, import, start -----------------------------------------


@pytest.mark.parametrize(
    ("role", "reassign", "switch", "imports"),
    [
        ("camat", True, True, False),
        ("sekcam", True, True, True),
        ("tim_sakip", False, True, True),
        ("kasubag_ppk", False, False, True),
        ("kasi", False, False, False),
        ("asn", False, False, False),
    ],
)
def test_who_may_reassign_switch_targets_and_import(role: str, reassign: bool, switch: bool, imports: bool) -> None:
    held = [Holding(UNIT, role, None, acting=False)]
    assert may_reassign(held, UNIT, is_admin=False) is reassign
    assert may_switch_targets(held, UNIT, is_admin=False) is switch
    assert may_import(held, UNIT, is_admin=False) is imports
    # Only in the unit held: the same role elsewhere gives nothing here.
    assert not may_reassign(held, OTHER, is_admin=False)
    assert not may_switch_targets(held, OTHER, is_admin=False)
    assert not may_import(held, OTHER, is_admin=False)


def test_an_administrator_may_reassign_switch_and_import_without_a_role() -> None:
    assert may_reassign([], UNIT, is_admin=True)
    assert may_switch_targets([], UNIT, is_admin=True)
    assert may_import([], UNIT, is_admin=True)


def test_a_plt_camat_leads_as_plt() -> None:
    plt = Holding(UNIT, "camat", None, acting=True)
    leader = leading_holding([Holding(UNIT, "kasi", "trantib", False), plt], UNIT, frozenset({"camat", "sekcam"}))
    assert leader is plt and leader.acting


def test_an_sop_is_started_by_a_holder_of_its_first_steps_role_in_the_unit() -> None:
    held = [Holding(OTHER, "tim_sakip", None, False), Holding(UNIT, "tim_sakip", None, False)]
    assert starting_holding(held, UNIT, "tim_sakip") == held[1]
    assert starting_holding(held, UNIT, "camat") is None


def test_who_is_whose_superior() -> None:
    assert superior_of("kasi") == "sekcam"
    assert superior_of("asn") == "sekcam"
    assert superior_of("tim_sakip") == "sekcam"
    assert superior_of("sekcam") == "camat"
    assert superior_of("camat") is None


# --- when an action is refused ----------------------------------------------------------------

OK = ActRequest(
    task_id=5, action="approve", step_actions=("approve", "return"), task_status=OPEN, task_outcome=None,
    task_step_id="s4", instance_id=9, instance_state="s4", note=None, has_rows=False,
)  # fmt: skip


def test_an_open_task_on_its_instances_step_passes_the_guards() -> None:
    check_action(OK)  # raises nothing
    check_action(replace(OK, action="return", note="perbaiki", has_rows=True))


def test_an_action_the_step_does_not_have_is_refused_with_the_possible_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_action(replace(OK, action="sign"))
    assert str(caught.value) == "action: 'sign' is not an action of task 5; use one of approve, return"
    assert caught.value.code == "action.unknown" and caught.value.params["actions"] == "approve, return"


@pytest.mark.parametrize(
    ("by", "at", "text", "code"),
    [
        ("sekcam1", "2024-04-01T02:00:00Z", "task 5 is already approve by sekcam1 at 2024-04-01T02:00:00Z",
         "task.finished_by_at"),
        ("sekcam1", None, "task 5 is already approve by sekcam1", "task.finished_by"),
        (None, None, "task 5 is already approve", "task.finished"),
    ],
)  # fmt: skip
def test_a_finished_task_is_refused_saying_by_whom_and_when(
    by: str | None, at: str | None, text: str, code: str
) -> None:
    done = replace(OK, task_status=DONE, task_outcome="approve", finished_by=by, finished_at=at)
    with pytest.raises(Conflict) as caught:
        check_action(done)
    assert str(caught.value) == text and caught.value.code == code


def test_an_instance_that_moved_on_refuses_its_old_steps_task() -> None:
    with pytest.raises(Conflict, match=r"^instance 9 has moved on to 's5'$"):
        check_action(replace(OK, instance_state="s5"))


def test_a_return_needs_a_note_or_rows_and_rows_go_only_with_a_return() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_action(replace(OK, action="return"))
    assert caught.value.code == "return.needs_note"
    check_action(replace(OK, action="return", has_rows=True))  # returned rows carry their own notes
    with pytest.raises(InvalidInput) as caught:
        check_action(replace(OK, has_rows=True))
    assert caught.value.code == "rows.only_return"
