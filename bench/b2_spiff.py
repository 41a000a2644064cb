"""B2: the engine against SpiffWorkflow running the same S4 flow as BPMN, both persisted per step.

The S4 export (`workflow.sop.bpmn.export_bpmn`) runs in SpiffWorkflow, with the fan-out over the
demo unit's 8 ASN as in the conformance test. A persisted step is what a stateless server does
for one user action: in one transaction, read the workflow's serialised state from the same
database, deserialise it, complete the ready user task, run the engine steps, serialise and
write the state back. The engine's figure is B1's (`WorkflowService.act`, same database, same run).
SpiffWorkflow is a benchmark-only dependency (the `bench` extra).
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, update

from bench.common import SOP_DIR, percentile
from workflow.adapters.db import make_engine
from workflow.sop.bpmn import export_bpmn, process_id
from workflow.sop.spec import SopRegistry, StepKind

SOP_KEY = "pengukuran-data-kinerja"
ASN = 8  # the demo Kutorejo's fan-out, as in B1

metadata = MetaData()
spiff_state = Table(
    "bench_spiff_workflows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", Text, nullable=False),
)


def _spiff() -> tuple[Any, ...]:
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    class LiteralDurations(PythonScriptEngine):  # type: ignore[misc]
        """Our export writes literal ISO 8601 durations; Spiff evaluates them as Python."""

        def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
            if re.fullmatch(r"P(T\d+[MH]|\d+D)", expression.strip()):
                return expression.strip()
            return super().evaluate(task, expression, external_context)

    return BpmnParser, BpmnValidator, BpmnWorkflow, TaskState, LiteralDurations, BpmnWorkflowSerializer


def bench(url: str, cycles: int) -> dict[str, Any]:
    """B2 on the database at URL: CYCLES S4 cycles run by SpiffWorkflow, persisted after every step."""
    parser_cls, validator_cls, workflow_cls, task_state, engine_cls, serializer_cls = _spiff()
    spec = SopRegistry.from_directory(SOP_DIR).get(SOP_KEY)
    parser = parser_cls(validator=validator_cls())
    parser.add_bpmn_str(export_bpmn(spec), filename=f"{SOP_KEY}.bpmn")
    process = parser.get_spec(process_id(spec))
    serializer = serializer_cls()
    script_engine = engine_cls()
    engine = make_engine(url)
    metadata.create_all(engine)
    step_times: list[float] = []
    sizes: list[int] = []

    def run_cycle(timed: bool) -> None:
        workflow = workflow_cls(process, script_engine=script_engine)
        workflow.task_tree.data.update({"jumlah_asn": ASN, "jumlah_kasi": 5})
        workflow.do_engine_steps()
        with engine.begin() as conn:
            wf_id = conn.execute(
                insert(spiff_state).returning(spiff_state.c.id), {"state": serializer.serialize_json(workflow)}
            ).scalar_one()
        while True:
            t0 = time.perf_counter()
            with engine.begin() as conn:
                blob = conn.execute(select(spiff_state.c.state).where(spiff_state.c.id == wf_id)).scalar_one()
                workflow = serializer.deserialize_json(blob)
                workflow.script_engine = script_engine
                ready = workflow.get_tasks(state=task_state.READY, manual=True)
                if not ready:
                    break
                task = ready[0]
                step_id = task.task_spec.bpmn_id.removeprefix("step_")
                if spec.step(step_id).kind is StepKind.REVIEW:
                    task.data["keputusan"] = "approve"
                task.run()
                workflow.do_engine_steps()
                blob = serializer.serialize_json(workflow)
                conn.execute(update(spiff_state).where(spiff_state.c.id == wf_id).values(state=blob))
            if timed:
                step_times.append(time.perf_counter() - t0)
                sizes.append(len(blob))
        assert workflow.is_completed()

    for _ in range(2):
        run_cycle(timed=False)
    for _ in range(cycles):
        run_cycle(timed=True)
    engine.dispose()
    total = sum(step_times)
    ms = [t * 1000 for t in step_times]
    return {
        "cycles": cycles,
        "steps": len(step_times),
        "steps_per_cycle": len(step_times) // cycles,
        "seconds": round(total, 3),
        "spiff_steps_per_s": round(len(step_times) / total, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "state_bytes_mean": int(sum(sizes) / len(sizes)),
    }
