"""Export an SOP version as BPMN 2.0 XML with a diagram (BPMNDI), for modellers and peer engines.

The mapping, deliberately:
- one lane per executor column, named as printed;
- each step is a userTask carrying its kegiatan, waktu, kelengkapan, output and seed source as
  documentation; a fan-out step is a parallel multi-instance userTask whose cardinality is the
  variable `jumlah_<role>` (the number of holders when the instance starts);
- a review step is a userTask followed by an exclusive gateway: `keputusan == "approve"` goes on,
  `keputusan == "return"` goes back to the step the definition names; conditions are Python
  expressions (SpiffWorkflow's language), the task sets `keputusan`;
- each step with a waktu has a non-interrupting boundary timer whose timeDuration is an ISO 8601
  duration (`PT5M`, `P1D`); a `hari` there means a working day, a `Minggu` five, as the
  documentation says: BPMN has no working calendar, the engine has;
- the timer leads to an end event "Terlambat": the escalation the scheduler sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

from workflow.domain.plaintext import xml_safe
from workflow.domain.waktu import Waktu, WaktuUnit
from workflow.sop.spec import SopSpec, StepKind, StepSpec

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

TASK_W, TASK_H = 120, 80
LANE_H = 170
COL_W = 170
LEFT = 200  # room for the lane labels and the start event


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


def iso_duration(waktu: Waktu) -> str:
    """`5 menit` → PT5M, `2 jam` → PT2H, `1 hari` → P1D, `2 Minggu` → P10D (working days)."""
    if waktu.unit is WaktuUnit.MENIT:
        return f"PT{waktu.amount}M"
    if waktu.unit is WaktuUnit.JAM:
        return f"PT{waktu.amount}H"
    return f"P{waktu.working_days}D"


def process_id(spec: SopSpec) -> str:
    return f"sop_{spec.key.replace('-', '_')}_v{spec.version}"


def task_id(step: StepSpec) -> str:
    return f"step_{step.id}"


@dataclass
class _Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def mid_y(self) -> int:
        return self.y + self.h // 2

    @property
    def right(self) -> int:
        return self.x + self.w


def _documentation(step: StepSpec) -> str:
    lines = [f"No. {step.no}: {step.kegiatan}"]
    if step.waktu is not None:
        lines.append(f"Waktu: {step.waktu.printed} (hari = hari kerja, Minggu = 5 hari kerja)")
    if step.kelengkapan:
        lines.append("Kelengkapan: " + "; ".join(step.kelengkapan))
    if step.output:
        lines.append(f"Output: {step.output}")
    lines.append(f"Sumber: {step.source}")
    if step.resolution:
        lines.append(f"Catatan: {step.resolution}")
    return "\n".join(lines)


def export_bpmn(spec: SopSpec) -> bytes:
    """The SOP as a BPMN 2.0 document (UTF-8 XML bytes)."""
    pid = process_id(spec)
    definitions = ET.Element(
        _q("bpmn", "definitions"),
        {"id": f"defs_{pid}", "targetNamespace": "https://alur-sakip.example/bpmn", "exporter": "Alur SAKIP",
         "exporterVersion": "1"},
    )  # fmt: skip
    collaboration = ET.SubElement(definitions, _q("bpmn", "collaboration"), {"id": f"collab_{pid}"})
    ET.SubElement(collaboration, _q("bpmn", "participant"), {"id": f"pool_{pid}", "name": spec.nama, "processRef": pid})
    process = ET.SubElement(definitions, _q("bpmn", "process"), {"id": pid, "name": spec.nama, "isExecutable": "true"})
    ET.SubElement(
        process, _q("bpmn", "documentation")
    ).text = f"{spec.header.nomor} — {spec.nama} (versi {spec.version}); sumber {spec.header.source}"
    lane_set = ET.SubElement(process, _q("bpmn", "laneSet"), {"id": f"lanes_{pid}"})
    lanes = {c.role: ET.SubElement(lane_set, _q("bpmn", "lane"), {"id": f"lane_{c.role}", "name": c.column})
             for c in spec.roles}  # fmt: skip
    lane_index = {c.role: i for i, c in enumerate(spec.roles)}
    boxes: dict[str, _Box] = {}
    edges: list[tuple[str, str, str, bool]] = []  # (flow id, source, target, is_return)

    def in_lane(role: str, node_id: str) -> None:
        ET.SubElement(lanes[role], _q("bpmn", "flowNodeRef")).text = node_id

    def place(node_id: str, role: str, column: float, w: int, h: int) -> None:
        x = LEFT + int(column * COL_W) + (TASK_W - w) // 2
        y = lane_index[role] * LANE_H + (LANE_H - h) // 2
        boxes[node_id] = _Box(x, y, w, h)

    def flow(source: str, target: str, condition: str | None = None, name: str | None = None,
             is_return: bool = False) -> None:  # fmt: skip
        fid = f"flow_{len(edges) + 1}"
        attrs = {"id": fid, "sourceRef": source, "targetRef": target}
        if name:
            attrs["name"] = name
        element = ET.SubElement(process, _q("bpmn", "sequenceFlow"), attrs)
        if condition is not None:
            expr = ET.SubElement(
                element, _q("bpmn", "conditionExpression"), {_q("xsi", "type"): "bpmn:tFormalExpression"}
            )
            expr.text = condition
        edges.append((fid, source, target, is_return))

    first = spec.steps[0]
    start_id = "start"
    ET.SubElement(process, _q("bpmn", "startEvent"), {"id": start_id, "name": "Mulai"})
    in_lane(first.pelaksana, start_id)
    boxes[start_id] = _Box(LEFT - 80, lane_index[first.pelaksana] * LANE_H + LANE_H // 2 - 18, 36, 36)

    column = 0.0
    previous = start_id
    pending_return: list[tuple[str, str]] = []
    for step in spec.steps:
        tid = task_id(step)
        task = ET.SubElement(process, _q("bpmn", "userTask"), {"id": tid, "name": f"{step.no} {step.nama}"})
        ET.SubElement(task, _q("bpmn", "documentation")).text = _documentation(step)
        if step.kind is StepKind.FANOUT:
            loop = ET.SubElement(task, _q("bpmn", "multiInstanceLoopCharacteristics"), {"isSequential": "false"})
            cardinality = ET.SubElement(
                loop, _q("bpmn", "loopCardinality"), {_q("xsi", "type"): "bpmn:tFormalExpression"}
            )
            cardinality.text = f"jumlah_{step.pelaksana}"
        in_lane(step.pelaksana, tid)
        place(tid, step.pelaksana, column, TASK_W, TASK_H)
        flow(previous, tid)
        previous = tid
        column += 1
        if step.waktu is not None:
            timer_id, late_id = f"timer_{step.id}", f"late_{step.id}"
            boundary = ET.SubElement(
                process, _q("bpmn", "boundaryEvent"),
                {"id": timer_id, "name": f"Batas waktu {step.waktu.printed}", "attachedToRef": tid,
                 "cancelActivity": "false"},
            )  # fmt: skip
            definition = ET.SubElement(boundary, _q("bpmn", "timerEventDefinition"), {"id": f"timerdef_{step.id}"})
            duration = ET.SubElement(
                definition, _q("bpmn", "timeDuration"), {_q("xsi", "type"): "bpmn:tFormalExpression"}
            )
            duration.text = iso_duration(step.waktu)
            ET.SubElement(process, _q("bpmn", "endEvent"), {"id": late_id, "name": "Terlambat (eskalasi)"})
            in_lane(step.pelaksana, timer_id)
            in_lane(step.pelaksana, late_id)
            box = boxes[tid]
            boxes[timer_id] = _Box(box.x + box.w - 28, box.y + box.h - 18, 36, 36)
            boxes[late_id] = _Box(box.x + box.w - 28, box.y + box.h + 40, 36, 36)
            if boxes[late_id].y + 36 > (lane_index[step.pelaksana] + 1) * LANE_H:
                boxes[late_id].y = box.y - 60
            flow(timer_id, late_id)
        if step.kind is StepKind.REVIEW:
            gateway = f"gateway_{step.id}"
            ET.SubElement(process, _q("bpmn", "exclusiveGateway"), {"id": gateway, "name": "Setuju?"})
            in_lane(step.pelaksana, gateway)
            place(gateway, step.pelaksana, column - 0.35, 50, 50)
            boxes[gateway].x = boxes[tid].right + 25
            column += 0.3
            flow(tid, gateway)
            assert step.return_to is not None
            pending_return.append((gateway, step.return_to))
            previous = gateway
    end_id = "end"
    last = spec.steps[-1]
    ET.SubElement(process, _q("bpmn", "endEvent"), {"id": end_id, "name": "Selesai"})
    in_lane(last.pelaksana, end_id)
    boxes[end_id] = _Box(
        boxes[task_id(last)].right + 40, lane_index[last.pelaksana] * LANE_H + LANE_H // 2 - 18, 36, 36
    )
    if previous.startswith("gateway_"):
        flow(previous, end_id, 'keputusan == "approve"', "setuju")
    else:
        flow(previous, end_id)
    # A gateway's approve flow is the one created next from it; give it its condition now.
    for gateway, back_to in pending_return:
        for element in process.findall(_q("bpmn", "sequenceFlow")):
            if element.get("sourceRef") == gateway and element.find(_q("bpmn", "conditionExpression")) is None:
                element.set("name", "setuju")
                expr = ET.SubElement(
                    element, _q("bpmn", "conditionExpression"), {_q("xsi", "type"): "bpmn:tFormalExpression"}
                )
                expr.text = 'keputusan == "approve"'
        flow(gateway, task_id(spec.step(back_to)), 'keputusan == "return"', "dikembalikan", is_return=True)
    _add_incoming_outgoing(process)
    _diagram(definitions, spec, pid, boxes, edges, len(spec.roles), column)
    _drop_non_xml(definitions)
    ET.indent(definitions)
    xml: bytes = ET.tostring(definitions, encoding="utf-8", xml_declaration=True)
    return xml


def _drop_non_xml(root: ET.Element) -> None:
    """Remove from every text and attribute the characters XML 1.0 cannot hold (ElementTree would
    write them as they are, and the file would not parse). The loader refuses them in a definition;
    this keeps the export well-formed whatever reached it."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        if element.tail:
            element.tail = xml_safe(element.tail)
        for name, value in element.attrib.items():
            element.set(name, xml_safe(value))


def _add_incoming_outgoing(process: ET.Element) -> None:
    """Write each node's incoming then outgoing refs (the schema's order), after its documentation."""
    nodes = {e.get("id"): e for e in process if e.get("id") and e.tag != _q("bpmn", "sequenceFlow")}
    refs: dict[str, dict[str, list[str]]] = {n: {"incoming": [], "outgoing": []} for n in nodes if n}
    for element in process.findall(_q("bpmn", "sequenceFlow")):
        refs[element.get("sourceRef") or ""]["outgoing"].append(element.get("id") or "")
        refs[element.get("targetRef") or ""]["incoming"].append(element.get("id") or "")
    for node_id, node in nodes.items():
        position = 1 if node.find(_q("bpmn", "documentation")) is not None else 0
        for tag in ("incoming", "outgoing"):
            for flow_id in refs[node_id or ""][tag]:
                ref = ET.Element(_q("bpmn", tag))
                ref.text = flow_id
                node.insert(position, ref)
                position += 1


def _diagram(
    definitions: ET.Element, spec: SopSpec, pid: str, boxes: dict[str, _Box],
    edges: list[tuple[str, str, str, bool]], lanes: int, columns: float,
) -> None:  # fmt: skip
    diagram = ET.SubElement(definitions, _q("bpmndi", "BPMNDiagram"), {"id": f"diagram_{pid}"})
    plane = ET.SubElement(diagram, _q("bpmndi", "BPMNPlane"), {"id": f"plane_{pid}", "bpmnElement": f"collab_{pid}"})
    width = LEFT + int((columns + 1) * COL_W) + 60

    def shape(element_id: str, box: _Box, extra: dict[str, str] | None = None) -> None:
        s = ET.SubElement(plane, _q("bpmndi", "BPMNShape"), {"id": f"{element_id}_di", "bpmnElement": element_id,
                                                             **(extra or {})})  # fmt: skip
        ET.SubElement(s, _q("dc", "Bounds"), {"x": str(box.x), "y": str(box.y), "width": str(box.w),
                                              "height": str(box.h)})  # fmt: skip

    shape(f"pool_{pid}", _Box(0, 0, width, lanes * LANE_H), {"isHorizontal": "true"})
    for i, column in enumerate(spec.roles):
        shape(f"lane_{column.role}", _Box(30, i * LANE_H, width - 30, LANE_H), {"isHorizontal": "true"})
    for element_id, box in boxes.items():
        shape(element_id, box)
    bottom = lanes * LANE_H - 12
    for fid, source, target, is_return in edges:
        a, b = boxes[source], boxes[target]
        edge = ET.SubElement(plane, _q("bpmndi", "BPMNEdge"), {"id": f"{fid}_di", "bpmnElement": fid})
        if is_return:
            points = [(a.x + a.w // 2, a.y + a.h), (a.x + a.w // 2, bottom), (b.x + b.w // 2, bottom),
                      (b.x + b.w // 2, b.y + b.h)]  # fmt: skip
        elif source.startswith("timer_"):
            points = [
                (a.x + a.w // 2, a.y + a.h if b.y > a.y else a.y),
                (b.x + b.w // 2, b.y if b.y > a.y else b.y + b.h),
            ]
        elif a.mid_y == b.mid_y:
            points = [(a.right, a.mid_y), (b.x, b.mid_y)]
        else:
            elbow = a.right + max((b.x - a.right) // 2, 10)
            points = [(a.right, a.mid_y), (elbow, a.mid_y), (elbow, b.mid_y), (b.x, b.mid_y)]
        for x, y in points:
            ET.SubElement(edge, _q("di", "waypoint"), {"x": str(x), "y": str(y)})
