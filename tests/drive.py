"""Drive an instance the way its users would: whoever may act takes the first allowed action."""

from __future__ import annotations

from workflow.services.engine import WorkflowService
from workflow.sop.spec import FINISHED_STATE

RETURN_NOTE = "Data capaian Seksi Pelayanan belum lengkap; mohon dilengkapi."


def drive(
    service: WorkflowService,
    instance_id: int,
    *,
    returns: dict[str, int] | None = None,
    max_actions: int = 200,
    until: str = FINISHED_STATE,
) -> list[str]:
    """Act until the instance finishes (or reaches UNTIL); return the states it passed through, in order.

    RETURNS maps a review step id to how many times it is returned before it is approved.
    """
    to_return = dict(returns or {})
    states = [service.status(instance_id).state]
    for _ in range(max_actions):
        status = service.status(instance_id)
        if status.state in (until, FINISHED_STATE):
            return states
        waiting = status.waiting_on[0]
        actor = service.candidates(waiting.task_id)[0]
        view = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id)
        if to_return.get(view.step_id, 0) > 0 and "return" in view.actions:
            to_return[view.step_id] -= 1
            result = service.act(view.id, "return", actor, RETURN_NOTE)
        else:
            result = service.act(view.id, view.actions[0], actor)
        if result.to_state != states[-1]:
            states.append(result.to_state)
    raise AssertionError(f"instance {instance_id} did not reach {until} within {max_actions} actions")
