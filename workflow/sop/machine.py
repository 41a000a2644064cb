"""One `transitions` state machine per SOP version, shared by all of its instances.

The states are the step ids plus `selesai`. Each step's actions are the triggers leaving it:
`done`, `paraf`, `sign` and `archive` go forward, `approve` goes forward from a review and
`return` goes back to the step the definition names, and `return_rows` (a return of single
indicator rows) goes back to the data-entry fan-out before the review. A fan-out step's `done` only fires once
every parallel task is finished (the `fanout_complete` condition).

An instance is bound to the machine only for the moment of one action, through a small token
holding its state; the machine never holds a database row, and its callbacks only record what
happened (no I/O: the service layer writes the rows in the same transaction).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from transitions import EventData, Machine, MachineError

from workflow.sop.spec import FINISHED_STATE, SopSpec, StepKind


@dataclass
class InstanceToken:
    """The model bound to a shared machine for one action."""

    state: str
    open_fanout_tasks: int = 0
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    def fanout_complete(self, event: EventData) -> bool:
        return self.open_fanout_tasks == 0

    def record_change(self, event: EventData) -> None:
        assert event.transition is not None
        self.changes.append((event.transition.source, event.transition.dest or "", event.event.name))


RETURN_ROWS = "return_rows"


def _entry_before(spec: SopSpec, step_id: str) -> str | None:
    for step in spec.steps:
        if step.id == step_id:
            return None
        if step.kind is StepKind.FANOUT:
            return step.id
    return None


class SopMachine:
    """The state machine of one SOP version."""

    def __init__(self, spec: SopSpec):
        self.spec = spec
        states = [step.id for step in spec.steps] + [FINISHED_STATE]
        transitions: list[dict[str, object]] = []
        for step in spec.steps:
            forward = spec.next_state(step.id)
            for action in step.actions:
                transition: dict[str, object] = {
                    "trigger": action,
                    "source": step.id,
                    "dest": step.return_to if action == "return" else forward,
                }
                if step.kind is StepKind.FANOUT:
                    transition["conditions"] = "fanout_complete"
                transitions.append(transition)
            if step.kind is StepKind.REVIEW:
                entry = _entry_before(spec, step.id)
                if entry is not None:
                    # A per-row return: back to the data-entry fan-out, for the owners of those rows only.
                    transitions.append({"trigger": RETURN_ROWS, "source": step.id, "dest": entry})
        self._machine = Machine(
            model=None,
            states=states,
            transitions=transitions,
            initial=spec.first_step.id,
            auto_transitions=False,
            send_event=True,
            after_state_change="record_change",
        )
        # add_model/remove_model mutate the shared machine: one action at a time, in memory only.
        self._lock = threading.Lock()

    @property
    def initial_state(self) -> str:
        return self.spec.first_step.id

    def triggers_from(self, state: str) -> list[str]:
        return list(self._machine.get_triggers(state))

    def may(self, state: str, action: str, open_fanout_tasks: int = 0) -> bool:
        """Whether ACTION is possible in STATE (the machine's `may_<trigger>`)."""
        if action not in self.triggers_from(state):
            return False
        token = InstanceToken(state=state, open_fanout_tasks=open_fanout_tasks)
        with self._bound(token):
            return bool(token.may_trigger(action))  # type: ignore[attr-defined]

    def fire(self, state: str, action: str, open_fanout_tasks: int = 0) -> InstanceToken:
        """Run ACTION from STATE; return the token with its new state and recorded changes.

        Raises ValueError if the machine has no such action from STATE.
        """
        if action not in self.triggers_from(state):
            raise ValueError(f"action {action!r} is not possible in state {state!r}")
        token = InstanceToken(state=state, open_fanout_tasks=open_fanout_tasks)
        with self._bound(token):
            try:
                token.trigger(action)  # type: ignore[attr-defined]
            except MachineError as exc:
                raise ValueError(str(exc.value)) from exc
        return token

    def _bound(self, token: InstanceToken) -> _Binding:
        return _Binding(self, token)


class _Binding:
    def __init__(self, owner: SopMachine, token: InstanceToken):
        self.owner = owner
        self.token = token

    def __enter__(self) -> InstanceToken:
        self.owner._lock.acquire()
        self.owner._machine.add_model(self.token, initial=self.token.state)
        return self.token

    def __exit__(self, *exc: object) -> None:
        try:
            self.owner._machine.remove_model(self.token)
        finally:
            self.owner._lock.release()


class MachineCache:
    """Build each SOP version's machine once and share it."""

    def __init__(self) -> None:
        self._machines: dict[tuple[str, int], SopMachine] = {}
        self._lock = threading.Lock()

    def get(self, spec: SopSpec) -> SopMachine:
        key = (spec.key, spec.version)
        with self._lock:
            machine = self._machines.get(key)
            if machine is None or machine.spec is not spec:
                machine = SopMachine(spec)
                self._machines[key] = machine
            return machine
