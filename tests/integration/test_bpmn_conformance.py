"""Every exported SOP is valid BPMN 2.0, and SpiffWorkflow runs it with the same task sequence as ours.

SpiffWorkflow is a test-only peer engine. One deliberate mapping lives in this harness: Spiff
evaluates a timer's timeDuration as a Python expression, while the standard (and our export)
writes a literal ISO 8601 duration such as `PT5M`; the harness's script engine reads literal
durations as themselves. Timers never fire here: no time passes.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from conftest import SOP_DIR, missing_service

from workflow.domain.waktu import parse_waktu
from workflow.sop.bpmn import NS, export_bpmn, iso_duration, process_id
from workflow.sop.machine import SopMachine
from workflow.sop.spec import FINISHED_STATE, SopRegistry, SopSpec, StepKind

REGISTRY = SopRegistry.from_directory(SOP_DIR)
KEYS = [s.key for s in REGISTRY.latest()]
HOLDERS = {"asn": 8, "kasi": 5}  # the demo Kutorejo: 8 ASN, 5 Kasi (one per seksi)

Wave = Counter[tuple[str, str]]


def _spiff() -> Any:
    try:
        from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState
    except ImportError:
        missing_service("SpiffWorkflow (test-only dependency) is not installed")
        raise AssertionError("unreachable") from None

    class LiteralDurations(PythonScriptEngine):  # type: ignore[misc]
        def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
            if re.fullmatch(r"P(T\d+[MH]|\d+D)", expression.strip()):
                return expression.strip()
            return super().evaluate(task, expression, external_context)

    return BpmnParser, BpmnValidator, BpmnWorkflow, TaskState, LiteralDurations


def _spiff_waves(spec: SopSpec, returns: dict[str, int]) -> list[Wave]:
    """Run the export in SpiffWorkflow: each wave is the multiset of ready (step, role) user tasks."""
    parser_cls, validator_cls, workflow_cls, task_state, engine_cls = _spiff()
    parser = parser_cls(validator=validator_cls())
    parser.add_bpmn_str(export_bpmn(spec), filename=f"{spec.key}.bpmn")
    workflow = workflow_cls(parser.get_spec(process_id(spec)), script_engine=engine_cls())
    workflow.task_tree.data.update({f"jumlah_{role}": n for role, n in HOLDERS.items()})
    role_of_lane = {c.column: c.role for c in spec.roles}
    to_return = dict(returns)
    waves: list[Wave] = []
    workflow.do_engine_steps()
    for _ in range(200):
        ready = workflow.get_tasks(state=task_state.READY, manual=True)
        if not ready:
            break
        waves.append(
            Counter((t.task_spec.bpmn_id.removeprefix("step_"), role_of_lane[t.task_spec.lane]) for t in ready)
        )
        for task in ready:
            step_id = task.task_spec.bpmn_id.removeprefix("step_")
            if spec.step(step_id).kind is StepKind.REVIEW:
                decision = "return" if to_return.get(step_id, 0) > 0 else "approve"
                to_return[step_id] = to_return.get(step_id, 0) - 1
                task.data["keputusan"] = decision
            task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    return waves


def _our_waves(spec: SopSpec, returns: dict[str, int]) -> list[Wave]:
    """The same choices through our machine: each state's open tasks (N for a fan-out)."""
    machine = SopMachine(spec)
    state = machine.initial_state
    to_return = dict(returns)
    waves: list[Wave] = []
    while state != FINISHED_STATE:
        step = spec.step(state)
        count = HOLDERS[step.pelaksana] if step.kind is StepKind.FANOUT else 1
        waves.append(Counter({(step.id, step.pelaksana): count}))
        action = step.actions[0]
        if step.kind is StepKind.REVIEW and to_return.get(step.id, 0) > 0:
            to_return[step.id] -= 1
            action = "return"
        state = machine.fire(state, action).state
    return waves


@pytest.mark.parametrize("key", KEYS)
def test_every_export_passes_spiffworkflows_bpmn_validator(key: str) -> None:
    parser_cls, validator_cls, *_ = _spiff()
    spec = REGISTRY.get(key)
    parser = parser_cls(validator=validator_cls())
    parser.add_bpmn_str(export_bpmn(spec), filename=f"{key}.bpmn")  # raises ValidationException if invalid
    assert parser.get_spec(process_id(spec)).name == process_id(spec)


@pytest.mark.parametrize("key", KEYS)
def test_spiffworkflow_approving_everywhere_runs_our_sequence(key: str) -> None:
    spec = REGISTRY.get(key)
    assert _spiff_waves(spec, {}) == _our_waves(spec, {})


@pytest.mark.parametrize("key", [k for k in KEYS if any(s.kind is StepKind.REVIEW for s in REGISTRY.get(k).steps)])
def test_spiffworkflow_taking_each_return_once_runs_our_sequence(key: str) -> None:
    spec = REGISTRY.get(key)
    returns = {s.id: 1 for s in spec.steps if s.kind is StepKind.REVIEW}
    ours = _our_waves(spec, returns)
    assert _spiff_waves(spec, returns) == ours
    assert len(ours) > len(spec.steps)  # the loop really ran


def test_the_export_has_a_lane_per_column_a_timer_per_time_standard_and_a_diagram() -> None:
    spec = REGISTRY.get("pengukuran-data-kinerja")
    root = ET.fromstring(export_bpmn(spec))
    b = f"{{{NS['bpmn']}}}"
    lanes = [lane.get("name") for lane in root.iter(f"{b}lane")]
    assert lanes == ["Camat", "Sekretaris Camat", "Tim SAKIP", "Seluruh ASN Internal"]  # 002:1389
    timers = {e.get("attachedToRef"): e for e in root.iter(f"{b}boundaryEvent")}
    assert timers["step_nota_dinas"].get("cancelActivity") == "false"
    assert timers["step_nota_dinas"].find(f".//{b}timeDuration").text == "PT5M"  # 5 Menit, 002:1390
    assert timers["step_metodologi"].find(f".//{b}timeDuration").text == "P1D"  # 1 Hari, 002:1393
    assert "step_arsip" not in timers  # no waktu printed, 002:1401
    fanout = root.find(f".//{b}userTask[@id='step_pengukuran_asn']/{b}multiInstanceLoopCharacteristics")
    assert fanout is not None and fanout.get("isSequential") == "false"
    gateway_flows = [f for f in root.iter(f"{b}sequenceFlow") if f.get("sourceRef") == "gateway_reviu_sekcam"]
    assert {(f.get("targetRef"), f.find(f"{b}conditionExpression").text) for f in gateway_flows} == {
        ("step_lapor_camat", 'keputusan == "approve"'),
        ("step_rekap", 'keputusan == "return"'),
    }
    shapes = {s.get("bpmnElement") for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    nodes = {e.get("id") for e in root.find(f"{b}process") if e.tag != f"{b}sequenceFlow" and e.get("id")}
    nodes.discard(f"lanes_{process_id(spec)}")
    assert nodes - {None} <= shapes
    edges = {e.get("bpmnElement") for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
    assert edges == {f.get("id") for f in root.iter(f"{b}sequenceFlow")}


@pytest.mark.parametrize(("printed", "iso"), [("5 menit", "PT5M"), ("2 jam", "PT2H"), ("1 hari", "P1D"),
                                               ("2 Minggu", "P10D")])  # fmt: skip
def test_time_standards_become_iso_durations_in_working_days(printed: str, iso: str) -> None:
    assert iso_duration(parse_waktu(printed)) == iso


def test_export_bpmn_writes_the_file_from_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "s4.bpmn"
    result = subprocess.run(
        [str(Path(sys.executable).with_name("sakip")), "sop", "export-bpmn", "pengukuran-data-kinerja", "-o", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ET.parse(out).getroot().tag == f"{{{NS['bpmn']}}}definitions"
