"""The shared state machine of each real SOP version: every path, fan-out waits, no shortcuts."""

from __future__ import annotations

import dataclasses
import sys
import threading
from pathlib import Path

import pytest

from workflow.services.measurement import entry_step
from workflow.sop.machine import RETURN_ROWS, InstanceToken, MachineCache, SopMachine
from workflow.sop.spec import FINISHED_STATE, SopRegistry, SopSpec, StepKind

REPO = Path(__file__).resolve().parents[2]
REGISTRY = SopRegistry.from_directory(REPO / "sop_definitions")
SPECS = REGISTRY.all()

ALL_ACTIONS = ("done", "approve", "return", "paraf", "sign", "archive")

REVIEWS = [
    pytest.param(spec, step.id, id=f"{spec.key}.v{spec.version}:{step.id}")
    for spec in SPECS
    for step in spec.steps
    if step.kind is StepKind.REVIEW
]
FANOUTS = [
    pytest.param(spec, step.id, id=f"{spec.key}.v{spec.version}:{step.id}")
    for spec in SPECS
    for step in spec.steps
    if step.kind is StepKind.FANOUT
]


def walk_forward(machine: SopMachine, state: str) -> list[str]:
    """Take the first action of every step from STATE until `selesai`; return the states left."""
    visited: list[str] = []
    while state != FINISHED_STATE:
        assert len(visited) <= len(machine.spec.steps), f"no end after {visited}"
        action = machine.spec.step(state).actions[0]
        token = machine.fire(state, action)
        assert token.changes == [(state, token.state, action)]
        visited.append(state)
        state = token.state
    return visited


def walk_until(machine: SopMachine, state: str, stop: str) -> list[str]:
    """Take the first action of every step from STATE until STOP is reached; return the states left."""
    visited: list[str] = []
    while state != stop:
        assert state != FINISHED_STATE, f"{stop} never reached"
        visited.append(state)
        state = machine.fire(state, machine.spec.step(state).actions[0]).state
    return visited


@pytest.fixture(params=SPECS, ids=lambda spec: f"{spec.key}.v{spec.version}")
def spec(request: pytest.FixtureRequest) -> SopSpec:
    return request.param  # type: ignore[no-any-return]


def test_every_seed_sop_has_a_machine_and_the_review_and_fanout_steps_are_found() -> None:
    # The four seed SOPs, S4 at versions 1, 2 and 3 (all serve instances), the others at version 1.
    assert [(spec.key, spec.version) for spec in SPECS] == [
        ("pengukuran-data-kinerja", 1),
        ("pengukuran-data-kinerja", 2),
        ("pengukuran-data-kinerja", 3),
        ("pengumpulan-data-kinerja", 1),
        ("pengumpulan-data-kinerja-jetis", 1),
        ("penyusunan-lkjip", 1),
    ]
    assert [param.id for param in REVIEWS] == [
        "pengukuran-data-kinerja.v1:reviu_sekcam",
        "pengukuran-data-kinerja.v2:reviu_sekcam",
        "pengukuran-data-kinerja.v3:reviu_sekcam",
        "pengumpulan-data-kinerja.v1:koreksi_format",
        "pengumpulan-data-kinerja-jetis.v1:analisa",
    ]
    assert [param.id for param in FANOUTS] == [
        "pengukuran-data-kinerja.v1:pengukuran_asn",
        "pengukuran-data-kinerja.v2:pengukuran_asn",
        "pengukuran-data-kinerja.v3:pengukuran_asn",
        "pengumpulan-data-kinerja.v1:isi_data_kasi",
        "pengumpulan-data-kinerja-jetis.v1:isi_data_asn",
    ]


def test_machine_starts_at_the_first_step_and_has_every_step_and_selesai_as_states(spec: SopSpec) -> None:
    machine = SopMachine(spec)

    assert machine.initial_state == spec.steps[0].id
    for step in spec.steps:
        assert machine.triggers_from(step.id) != []
    assert machine.triggers_from(FINISHED_STATE) == []


def test_straight_path_visits_every_step_in_order_and_ends_at_selesai(spec: SopSpec) -> None:
    machine = SopMachine(spec)

    assert walk_forward(machine, machine.initial_state) == [step.id for step in spec.steps]


def test_straight_path_approves_at_reviews_and_uses_each_steps_own_action(spec: SopSpec) -> None:
    machine = SopMachine(spec)
    fired: list[str] = []
    state = machine.initial_state
    while state != FINISHED_STATE:
        action = spec.step(state).actions[0]
        fired.append(action)
        state = machine.fire(state, action).state

    expected = {
        StepKind.TASK: "done",
        StepKind.FANOUT: "done",
        StepKind.REVIEW: "approve",
        StepKind.PARAF: "paraf",
        StepKind.SIGN: "sign",
        StepKind.ARCHIVE: "archive",
    }
    assert fired == [expected[step.kind] for step in spec.steps]


def test_every_action_of_every_step_goes_where_the_spec_says(spec: SopSpec) -> None:
    machine = SopMachine(spec)
    ids = [step.id for step in spec.steps]

    for index, step in enumerate(spec.steps):
        forward = ids[index + 1] if index + 1 < len(ids) else FINISHED_STATE
        for action in step.actions:
            token = machine.fire(step.id, action)
            dest = step.return_to if action == "return" else forward
            assert token.state == dest, (step.id, action)
            assert token.changes == [(step.id, dest, action)]


@pytest.mark.parametrize(("spec", "review"), REVIEWS)
def test_review_return_goes_back_to_the_return_to_step(spec: SopSpec, review: str) -> None:
    machine = SopMachine(spec)
    target = spec.step(review).return_to

    token = machine.fire(review, "return")

    assert token.state == target
    assert token.changes == [(review, target, "return")]


@pytest.mark.parametrize(("spec", "review"), REVIEWS)
def test_after_a_return_the_instance_walks_forward_through_the_review_again_to_the_end(
    spec: SopSpec, review: str
) -> None:
    machine = SopMachine(spec)
    ids = [step.id for step in spec.steps]
    target = spec.step(review).return_to
    assert target is not None

    # Up to the review, send it back, then finish.
    before = walk_until(machine, machine.initial_state, review)
    back = machine.fire(review, "return").state
    after = walk_forward(machine, back)

    assert before == ids[: ids.index(review)]
    assert back == target
    # From the return target every step is done again, the review included, then on to the end.
    assert after == ids[ids.index(target) :]


@pytest.mark.parametrize(("spec", "review"), REVIEWS)
def test_a_review_can_return_several_times_before_it_approves(spec: SopSpec, review: str) -> None:
    machine = SopMachine(spec)
    target = spec.step(review).return_to
    assert target is not None

    for _ in range(3):
        state = machine.fire(review, "return").state
        assert state == target
        assert walk_until(machine, state, review)[0] == target
    assert machine.fire(review, "approve").state == spec.next_state(review)


def test_the_s4_reviu_return_goes_back_to_the_tim_sakip_rekap() -> None:
    # 002:1399 "dikembalikan ke tim": the Tim SAKIP redoes the rekap (step 7) and reports it again.
    machine = SopMachine(REGISTRY.get("pengukuran-data-kinerja"))

    token = machine.fire("reviu_sekcam", "return")

    assert token.state == "rekap"
    assert machine.fire("rekap", "done").state == "lapor_rekap"
    assert machine.fire("lapor_rekap", "done").state == "reviu_sekcam"


@pytest.mark.parametrize(("spec", "fanout"), FANOUTS)
@pytest.mark.parametrize("open_tasks", [1, 2, 5])
def test_fan_out_step_does_not_move_on_while_parallel_tasks_are_open(
    spec: SopSpec, fanout: str, open_tasks: int
) -> None:
    machine = SopMachine(spec)

    token = machine.fire(fanout, "done", open_fanout_tasks=open_tasks)

    assert token.state == fanout
    assert token.changes == []
    assert token.open_fanout_tasks == open_tasks
    assert machine.may(fanout, "done", open_fanout_tasks=open_tasks) is False


@pytest.mark.parametrize(("spec", "fanout"), FANOUTS)
def test_fan_out_step_moves_on_when_no_parallel_task_is_open(spec: SopSpec, fanout: str) -> None:
    machine = SopMachine(spec)

    token = machine.fire(fanout, "done", open_fanout_tasks=0)

    assert token.state == spec.next_state(fanout)
    assert token.changes == [(fanout, spec.next_state(fanout), "done")]
    assert machine.may(fanout, "done", open_fanout_tasks=0) is True


def test_open_tasks_only_hold_back_fan_out_steps(spec: SopSpec) -> None:
    machine = SopMachine(spec)

    for step in spec.steps:
        if step.kind is StepKind.FANOUT:
            continue
        action = step.actions[0]
        assert machine.may(step.id, action, open_fanout_tasks=3) is True
        assert machine.fire(step.id, action, open_fanout_tasks=3).state == spec.next_state(step.id)


def test_may_is_true_exactly_for_the_actions_leaving_each_state(spec: SopSpec) -> None:
    machine = SopMachine(spec)

    for step in spec.steps:
        for action in ALL_ACTIONS:
            assert machine.may(step.id, action) is (action in step.actions), (step.id, action)
    for action in ALL_ACTIONS:
        assert machine.may(FINISHED_STATE, action) is False


def test_may_is_false_for_an_unknown_state() -> None:
    machine = SopMachine(REGISTRY.get("pengukuran-data-kinerja"))

    assert machine.may("tidak_ada", "done") is False


@pytest.mark.parametrize(
    ("key", "state", "action"),
    [
        ("pengukuran-data-kinerja", "rekap", "approve"),  # a task is not a review
        ("pengukuran-data-kinerja", "reviu_sekcam", "done"),  # a review is approved or returned
        ("pengukuran-data-kinerja", "nota_dinas", "return"),
        ("pengukuran-data-kinerja", "arsip", "done"),  # archiving is its own action
        ("pengukuran-data-kinerja", FINISHED_STATE, "done"),  # nothing leaves selesai
        ("pengumpulan-data-kinerja", "paraf_kasubag", "sign"),  # the Kasubag only parafs
        ("pengumpulan-data-kinerja", "tanda_tangan", "paraf"),  # the Camat only signs
        ("pengumpulan-data-kinerja", "koreksi_format", "paraf"),
        ("penyusunan-lkjip", "tanda_tangan", "approve"),  # 000:1101 has no reject branch
        ("penyusunan-lkjip", "tanda_tangan", "return"),
        ("penyusunan-lkjip", "tidak_ada", "done"),  # no such state
    ],
)
def test_fire_refuses_an_action_not_possible_in_that_state(key: str, state: str, action: str) -> None:
    machine = SopMachine(REGISTRY.get(key))

    assert machine.may(state, action) is False
    with pytest.raises(ValueError, match=f"'{action}' is not possible in state '{state}'"):
        machine.fire(state, action)


def test_no_auto_transitions_exist(spec: SopSpec) -> None:
    machine = SopMachine(spec)
    states = [step.id for step in spec.steps] + [FINISHED_STATE]

    for step in spec.steps:
        # A review after a data-entry fan-out may also return single rows to that fan-out.
        per_row = [RETURN_ROWS] if step.kind is StepKind.REVIEW and entry_step(spec, before=step.id) else []
        assert machine.triggers_from(step.id) == list(step.actions) + per_row
    assert machine.triggers_from(FINISHED_STATE) == []
    for state in states:
        for other in states:
            assert f"to_{other}" not in machine.triggers_from(state)
            assert machine.may(state, f"to_{other}") is False


def test_to_selesai_cannot_skip_to_the_end(spec: SopSpec) -> None:
    machine = SopMachine(spec)

    with pytest.raises(ValueError, match="'to_selesai' is not possible"):
        machine.fire(machine.initial_state, "to_selesai")


def test_the_machine_does_not_keep_the_instances_it_moved(spec: SopSpec) -> None:
    machine = SopMachine(spec)

    walk_forward(machine, machine.initial_state)

    # Instances are bound only for the moment of one action.
    assert machine._machine.models == []


def test_machine_cache_returns_the_same_machine_for_the_same_spec() -> None:
    cache = MachineCache()
    spec = REGISTRY.get("pengukuran-data-kinerja")

    first = cache.get(spec)

    assert cache.get(spec) is first
    assert first.spec is spec


def test_machine_cache_builds_a_new_machine_for_a_new_version() -> None:
    cache = MachineCache()
    v1 = REGISTRY.get("pengukuran-data-kinerja", 1)
    v2 = REGISTRY.get("pengukuran-data-kinerja", 2)
    # A further, shorter version that ends after step 10.
    v3 = dataclasses.replace(v2, version=3, steps=v2.steps[:-1])

    m1 = cache.get(v1)
    m2 = cache.get(v2)
    m3 = cache.get(v3)

    assert len({id(m1), id(m2), id(m3)}) == 3
    assert (m1.spec, m2.spec, m3.spec) == (v1, v2, v3)
    assert m1.spec is v1 and m2.spec is v2 and m3.spec is v3
    # The older versions keep their machines for the instances pinned to them.
    assert cache.get(v1) is m1
    assert cache.get(v2) is m2
    assert cache.get(v3) is m3
    # Each machine follows its own version: in v1 the Sekretaris Camat finishes step 10 with done,
    # from v2 the Camat signs it; v3 ends after it, v1 and v2 go on to arsip.
    assert m1.fire("lapor_camat", "done").state == "arsip"
    assert m1.may("lapor_camat", "sign") is False
    assert m2.fire("lapor_camat", "sign").state == "arsip"
    assert m2.may("lapor_camat", "done") is False
    assert m3.fire("lapor_camat", "sign").state == FINISHED_STATE


def test_machine_cache_keeps_different_sops_apart() -> None:
    cache = MachineCache()
    machines = {(spec.key, spec.version): cache.get(spec) for spec in SPECS}

    # One machine per SOP version: S4 v1, v2 and v3 are kept apart as well as the different SOPs.
    assert len(machines) == len(SPECS) == 6
    assert len({id(machine) for machine in machines.values()}) == len(SPECS)
    for spec in SPECS:
        assert machines[(spec.key, spec.version)].spec is spec


def test_one_machine_serves_eight_threads_firing_at_once() -> None:
    spec = REGISTRY.get("pengukuran-data-kinerja")
    machine = SopMachine(spec)
    ids = [step.id for step in spec.steps]
    cases: list[tuple[str, str, int, str]] = []  # state, action, open fan-out tasks, expected state
    for index, step in enumerate(spec.steps):
        forward = ids[index + 1] if index + 1 < len(ids) else FINISHED_STATE
        for action in step.actions:
            cases.append((step.id, action, 0, step.return_to if action == "return" else forward))
    cases.append(("pengukuran_asn", "done", 4, "pengukuran_asn"))  # held back by open siblings
    cases.append(("pengukuran_asn", "done", 1, "pengukuran_asn"))

    threads_n, calls_n = 8, 200
    barrier = threading.Barrier(threads_n)
    results: list[list[tuple[tuple[str, str, int, str], InstanceToken]]] = [[] for _ in range(threads_n)]
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for call in range(calls_n):
                case = cases[(number * 5 + call) % len(cases)]
                state, action, open_tasks, _ = case
                results[number].append((case, machine.fire(state, action, open_fanout_tasks=open_tasks)))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so unguarded sharing shows
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)

    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert sum(len(r) for r in results) == threads_n * calls_n
    for per_thread in results:
        for (state, action, open_tasks, expected), token in per_thread:
            assert token.state == expected, (state, action, open_tasks)
            assert token.open_fanout_tasks == open_tasks
            moved = [(state, expected, action)] if expected != state else []
            assert token.changes == moved, (state, action, open_tasks)
    assert machine._machine.models == []
