"""SOP definitions: immutable specs validated from `sop_definitions/*.yaml`.

A spec is the paper SOP as data: the header block, the executor columns, and the step table.
Specs are versioned; a running instance pins the key and version it started with.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from workflow.domain.limits import STEP_TEXT_MAX, too_long
from workflow.domain.periods import TRIWULAN, Period, PeriodError
from workflow.domain.plaintext import control_problem, shown
from workflow.domain.roles import ROLES
from workflow.domain.waktu import Waktu, parse_waktu
from workflow.sop.yamlsource import LineDict, LineList, SourceError, SourceErrors, load_yaml

FINISHED_STATE = "selesai"


log = logging.getLogger(__name__)


class StepKind(StrEnum):
    TASK = "task"
    FANOUT = "fanout"
    REVIEW = "review"
    PARAF = "paraf"
    SIGN = "sign"
    ARCHIVE = "archive"


STEP_ACTIONS: dict[StepKind, tuple[str, ...]] = {
    StepKind.TASK: ("done",),
    StepKind.FANOUT: ("done",),
    StepKind.REVIEW: ("approve", "return"),
    StepKind.PARAF: ("paraf",),
    StepKind.SIGN: ("sign",),
    StepKind.ARCHIVE: ("archive",),
}

PERIODE_KINDS = ("triwulan", "tahunan")
MAX_VERSION = 9999  # an SOP's version number: it names the file and fits every database's integer


@dataclass(frozen=True)
class RoleColumn:
    """One executor column of the step table: the heading as printed and the role it means."""

    column: str
    role: str


@dataclass(frozen=True)
class SopHeader:
    nomor: str
    nama: str
    unit: str | None
    tanggal_pembuatan: str
    tanggal_revisi: str | None
    tanggal_efektif: str
    disahkan_oleh: str
    dasar_hukum: tuple[str, ...]
    kualifikasi_pelaksana: tuple[str, ...]
    keterkaitan: tuple[str, ...]
    peralatan: tuple[str, ...]
    peringatan: str
    pencatatan: str
    source: str


@dataclass(frozen=True)
class StepSpec:
    id: str
    no: str
    nama: str
    kegiatan: str
    pelaksana: str
    kolom: str | None
    kind: StepKind
    kelengkapan: tuple[str, ...]
    output: str | None
    waktu: Waktu | None
    source: str
    resolution: str | None
    return_to: str | None

    @property
    def actions(self) -> tuple[str, ...]:
        return STEP_ACTIONS[self.kind]


@dataclass(frozen=True)
class SopSpec:
    key: str
    version: int
    periode: str
    header: SopHeader
    roles: tuple[RoleColumn, ...]
    steps: tuple[StepSpec, ...]
    source_file: str
    digest: str
    version_line: int = 0

    @property
    def nama(self) -> str:
        return self.header.nama

    @property
    def first_step(self) -> StepSpec:
        return self.steps[0]

    def step(self, step_id: str) -> StepSpec:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def next_state(self, step_id: str) -> str:
        """The state after STEP_ID goes forward: the next step, or `selesai` after the last."""
        ids = [s.id for s in self.steps]
        index = ids.index(step_id)
        return ids[index + 1] if index + 1 < len(ids) else FINISHED_STATE

    def check_period(self, period: str) -> None:
        """Raise ValueError unless PERIOD has the form this SOP runs on."""
        try:
            Period.parse(period, self.periode)
        except PeriodError:
            if self.periode == TRIWULAN:
                raise ValueError(f"{self.key} runs per triwulan: expected a period like 2024-TW1") from None
            raise ValueError(f"{self.key} runs per year: expected a period like 2024") from None


# --- validation -------------------------------------------------------------------------

# Matched against the whole text (fullmatch): `$` would also pass a trailing newline.
# The longest text each field takes: identifiers fit their database columns, names a line of the
# sheet; any other text (a step's kegiatan, output, a header text) STEP_TEXT_MAX.
SOP_TEXT_LIMITS = {"key": 64, "id": 64, "no": 16, "nama": 300, "pelaksana": 32, "kind": 32, "return_to": 64}
_KEY_RE = re.compile(r"[a-z][a-z0-9-]*")
_STEP_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
_SOURCE_RE = re.compile(r"[0-9]{3}:[0-9]+(-[0-9]+)?")

_TOP_FIELDS = {"key", "version", "periode", "header", "roles", "steps"}
_HEADER_REQUIRED = (
    "nomor",
    "nama",
    "tanggal_pembuatan",
    "tanggal_efektif",
    "disahkan_oleh",
    "dasar_hukum",
    "kualifikasi_pelaksana",
    "keterkaitan",
    "peralatan",
    "peringatan",
    "pencatatan",
    "source",
)
_HEADER_OPTIONAL = ("unit", "tanggal_revisi")
_HEADER_LISTS = {"dasar_hukum", "kualifikasi_pelaksana", "keterkaitan", "peralatan"}
_STEP_REQUIRED = ("id", "no", "nama", "kegiatan", "pelaksana", "kind", "kelengkapan", "source")
_STEP_OPTIONAL = ("kolom", "output", "waktu", "resolution", "return_to")


class _Collector:
    """Gathers every problem in one file instead of stopping at the first."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[SourceError] = []

    def add(self, line: int, field: str, reason: str) -> None:
        self.errors.append(SourceError(self.file, line, field, reason))

    def text(self, mapping: LineDict, key: str, path: str, *, optional: bool = False) -> str | None:
        value = mapping.get(key)
        if value is None:
            if not optional:
                self.add(mapping.line_of(key), path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(mapping.line_of(key), path, "must be text")
            return None
        text = str(value).strip()
        if not text and not optional:
            self.add(mapping.line_of(key), path, "must not be empty")
            return None
        problem = control_problem(text, multiline=True) or too_long(text, SOP_TEXT_LIMITS.get(key, STEP_TEXT_MAX))
        if problem is not None:
            self.add(mapping.line_of(key), path, problem)
            return None
        return text or None

    def texts(self, mapping: LineDict, key: str, path: str) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            self.add(mapping.line_of(key), path, "is required")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.add(mapping.line_of(key), path, "must be a list of text")
            return ()
        items: list[str] = []
        for index, item in enumerate(value):
            line = value.line_of(index) if isinstance(value, LineList) else mapping.line_of(key)
            if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
                self.add(line, f"{path}[{index}]", "must be non-empty text")
                continue
            problem = control_problem(str(item), multiline=True) or too_long(str(item).strip(), STEP_TEXT_MAX)
            if problem is not None:
                self.add(line, f"{path}[{index}]", problem)
                continue
            items.append(str(item).strip())
        return tuple(items)

    def unknown(self, mapping: LineDict, allowed: Iterable[str], path: str) -> None:
        allowed_set = set(allowed)
        for key in mapping:
            if key not in allowed_set:
                where = f"{path}.{shown(key)}" if path else shown(key)
                self.add(mapping.line_of(key), where, "unknown field")


def _parse_header(c: _Collector, raw: Any, line: int) -> SopHeader | None:
    if not isinstance(raw, LineDict):
        c.add(line, "header", "must be a mapping")
        return None
    c.unknown(raw, _HEADER_REQUIRED + _HEADER_OPTIONAL, "header")
    values: dict[str, Any] = {}
    for field in _HEADER_REQUIRED + _HEADER_OPTIONAL:
        optional = field in _HEADER_OPTIONAL
        if field in _HEADER_LISTS:
            values[field] = c.texts(raw, field, f"header.{field}")
        else:
            values[field] = c.text(raw, field, f"header.{field}", optional=optional)
    source = values.get("source")
    if source and not _SOURCE_RE.fullmatch(source):
        c.add(raw.line_of("source"), "header.source", "must look like 002:1372-1401")
    if any(values[f] is None for f in _HEADER_REQUIRED if f not in _HEADER_LISTS):
        return None
    return SopHeader(**values)


def _parse_roles(c: _Collector, raw: Any, line: int) -> tuple[RoleColumn, ...]:
    if not isinstance(raw, LineList) or not raw:
        c.add(line, "roles", "must be a non-empty list of {column, role}")
        return ()
    columns: list[RoleColumn] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path = f"roles[{index}]"
        if not isinstance(item, LineDict):
            c.add(raw.line_of(index), path, "must be a mapping with column and role")
            continue
        c.unknown(item, ("column", "role"), path)
        column = c.text(item, "column", f"{path}.column")
        role = c.text(item, "role", f"{path}.role")
        if role is not None and role not in ROLES:
            c.add(item.line_of("role"), f"{path}.role", f"unknown role {role!r}; known: {', '.join(ROLES)}")
            continue
        if role in seen:
            c.add(item.line_of("role"), f"{path}.role", f"role {role!r} has two columns")
            continue
        if column is not None and role is not None:
            seen.add(role)
            columns.append(RoleColumn(column=column, role=role))
    return tuple(columns)


def _parse_step(c: _Collector, raw: LineDict, path: str, roles: dict[str, RoleColumn]) -> StepSpec | None:
    c.unknown(raw, _STEP_REQUIRED + _STEP_OPTIONAL, path)
    ok = True
    step_id = c.text(raw, "id", f"{path}.id")
    if step_id is not None and (not _STEP_ID_RE.fullmatch(step_id) or step_id == "selesai"):
        c.add(raw.line_of("id"), f"{path}.id", "must be lower_snake_case and not 'selesai'")
        ok = False
    no = c.text(raw, "no", f"{path}.no")
    nama = c.text(raw, "nama", f"{path}.nama")
    kegiatan = c.text(raw, "kegiatan", f"{path}.kegiatan")
    pelaksana = c.text(raw, "pelaksana", f"{path}.pelaksana")
    if pelaksana is not None and pelaksana not in roles:
        c.add(
            raw.line_of("pelaksana"),
            f"{path}.pelaksana",
            f"{pelaksana!r} is not one of this SOP's executor roles ({', '.join(roles)})",
        )
        ok = False
    kind_text = c.text(raw, "kind", f"{path}.kind")
    kind: StepKind | None = None
    if kind_text is not None:
        try:
            kind = StepKind(kind_text)
        except ValueError:
            choices = ", ".join(k.value for k in StepKind)
            c.add(raw.line_of("kind"), f"{path}.kind", f"unknown kind {kind_text!r}; one of {choices}")
    kelengkapan = c.texts(raw, "kelengkapan", f"{path}.kelengkapan")
    output = c.text(raw, "output", f"{path}.output", optional=True)
    source = c.text(raw, "source", f"{path}.source")
    if source is not None and not _SOURCE_RE.fullmatch(source):
        c.add(raw.line_of("source"), f"{path}.source", "must look like 002:1390")
        ok = False
    resolution = c.text(raw, "resolution", f"{path}.resolution", optional=True)
    kolom = c.text(raw, "kolom", f"{path}.kolom", optional=True)
    return_to = c.text(raw, "return_to", f"{path}.return_to", optional=True)

    waktu: Waktu | None = None
    waktu_text = c.text(raw, "waktu", f"{path}.waktu", optional=True)
    if waktu_text is not None:
        try:
            waktu = parse_waktu(waktu_text)
        except ValueError as exc:
            c.add(raw.line_of("waktu"), f"{path}.waktu", str(exc))
            ok = False
    elif resolution is None:
        c.add(raw.line_of("waktu"), f"{path}.waktu", "is blank: add a resolution saying how it is handled")
        ok = False

    # A step whose executor is not the column the seed marked must say why.
    if pelaksana in roles and resolution is None:
        marked = roles[pelaksana].column
        if kolom is None:
            c.add(raw.line, f"{path}.resolution", "the executor column is blank: record the choice made and why")
            ok = False
        elif kolom != marked:
            c.add(
                raw.line_of("kolom"),
                f"{path}.resolution",
                f"the seed marks column {kolom!r} but pelaksana is {pelaksana!r}: record why",
            )
            ok = False

    if kind is StepKind.REVIEW and return_to is None:
        c.add(raw.line, f"{path}.return_to", "a review step must name the step a return goes back to")
        ok = False
    if kind is not None and kind is not StepKind.REVIEW and return_to is not None:
        c.add(raw.line_of("return_to"), f"{path}.return_to", "only a review step has a return target")
        ok = False

    required = (step_id, no, nama, kegiatan, pelaksana, kind, source)
    if not ok or any(v is None for v in required):
        return None
    assert step_id and no and nama and kegiatan and pelaksana and kind and source
    return StepSpec(
        id=step_id,
        no=no,
        nama=nama,
        kegiatan=kegiatan,
        pelaksana=pelaksana,
        kolom=kolom,
        kind=kind,
        kelengkapan=kelengkapan,
        output=output,
        waktu=waktu,
        source=source,
        resolution=resolution,
        return_to=return_to,
    )


def _parse_steps(c: _Collector, raw: Any, line: int, roles: tuple[RoleColumn, ...]) -> tuple[StepSpec, ...]:
    if not isinstance(raw, LineList) or not raw:
        c.add(line, "steps", "must be a non-empty list")
        return ()
    by_role = {r.role: r for r in roles}
    steps: list[StepSpec] = []
    step_lines: dict[str, tuple[int, int]] = {}  # step id -> (index in the file, line of return_to)
    for index, item in enumerate(raw):
        path = f"steps[{index}]"
        if not isinstance(item, LineDict):
            c.add(raw.line_of(index), path, "must be a mapping")
            continue
        step = _parse_step(c, item, path, by_role)
        if step is None:
            continue
        if step.id in step_lines:
            c.add(item.line_of("id"), f"{path}.id", f"duplicate step id {step.id!r}")
            continue
        step_lines[step.id] = (index, item.line_of("return_to"))
        steps.append(step)
    # Order and existence are judged on every id written, so a target step with an error of
    # its own (already reported) does not also show up as "no step".
    ids = [str(item.get("id")) for item in raw if isinstance(item, LineDict) and item.get("id") is not None]
    for step in steps:
        if step.return_to is None:
            continue
        index, line = step_lines[step.id]
        if step.return_to not in ids:
            c.add(line, f"steps[{index}].return_to", f"no step {step.return_to!r}")
        elif ids.index(step.return_to) >= ids.index(step.id):
            c.add(line, f"steps[{index}].return_to", "must name an earlier step")
    return tuple(steps)


def parse_spec(path: Path, display_name: str | None = None) -> SopSpec:
    """Load and validate one SOP file; raise SourceErrors listing every problem."""
    name = display_name or str(path)
    data, text = load_yaml(path, name)
    c = _Collector(name)
    if not isinstance(data, LineDict):
        raise SourceErrors([SourceError(name, 1, "file", "must be a mapping with key, version, header, roles, steps")])
    c.unknown(data, _TOP_FIELDS, "")
    key = c.text(data, "key", "key")
    if key is not None and not _KEY_RE.fullmatch(key):
        c.add(data.line_of("key"), "key", "must be lower-case words joined by '-'")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        c.add(data.line_of("version"), "version", f"must be a whole number from 1 to {MAX_VERSION}")
        version = None
    periode = c.text(data, "periode", "periode")
    if periode is not None and periode not in PERIODE_KINDS:
        c.add(data.line_of("periode"), "periode", f"must be one of {', '.join(PERIODE_KINDS)}")
    header = _parse_header(c, data.get("header"), data.line_of("header"))
    roles = _parse_roles(c, data.get("roles"), data.line_of("roles"))
    steps = _parse_steps(c, data.get("steps"), data.line_of("steps"), roles)
    if c.errors:
        raise SourceErrors(c.errors)
    assert key and version and periode and header
    return SopSpec(
        key=key,
        version=version,
        periode=periode,
        header=header,
        roles=roles,
        steps=steps,
        source_file=name,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        version_line=data.line_of("version"),
    )


def folder_stamp(directory: Path) -> tuple[float, int]:
    """What changes when a definition file is added to or changed in DIRECTORY."""
    files = list(directory.glob("*.yaml"))
    return (max((f.stat().st_mtime for f in files), default=0.0), len(files))


class SopRegistry:
    """Every SOP version found in a folder, by key and version.

    A registry read from a folder notices a version loaded since (by an administrator's page in
    any worker, or a file put there): `refresh()` re-reads the folder when it changed, and `get`
    refreshes once before it answers KeyError. So every holder of a registry (the web's services,
    the in-process scheduler, the standalone `sakip scheduler`) finds a new version by itself,
    with no process having to tell another.
    """

    def __init__(self, specs: Iterable[SopSpec], directory: Path | None = None):
        self._specs: dict[tuple[str, int], SopSpec] = {}
        for spec in specs:
            self._specs[(spec.key, spec.version)] = spec
        self._directory = directory
        self._stamp = folder_stamp(directory) if directory is not None else None
        self._lock = threading.Lock()

    def refresh(self) -> bool:
        """Re-read the folder if a definition was added or changed there; True if anything was re-read.

        A folder that no longer validates (a broken file put there by hand) keeps the versions
        already known: running instances go on, and `sakip sop validate` names the problem."""
        if self._directory is None:
            return False
        stamp = folder_stamp(self._directory)
        if stamp == self._stamp:
            return False
        with self._lock:
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                fresh = SopRegistry.from_paths(self._directory.glob("*.yaml"))
            except SourceErrors as exc:
                log.warning("SOP folder %s did not validate; keeping the known versions: %s", self._directory, exc)
                return False
            self._specs = {**self._specs, **fresh._specs}  # a version once known stays known
            return True

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> SopRegistry:
        """Load every file; raise SourceErrors with the problems of all of them."""
        errors: list[SourceError] = []
        specs: list[SopSpec] = []
        seen: dict[tuple[str, int], str] = {}
        for path in sorted(paths):
            try:
                spec = parse_spec(path)
            except SourceErrors as exc:
                errors.extend(exc.errors)
                continue
            ident = (spec.key, spec.version)
            if ident in seen:
                errors.append(
                    SourceError(
                        str(path),
                        spec.version_line,
                        "version",
                        f"{spec.key} v{spec.version} is also defined in {seen[ident]}",
                    )
                )
                continue
            seen[ident] = str(path)
            specs.append(spec)
        if errors:
            raise SourceErrors(errors)
        return cls(specs)

    @classmethod
    def from_directory(cls, directory: Path) -> SopRegistry:
        return cls(cls.from_paths(directory.glob("*.yaml"))._specs.values(), directory)

    def get(self, key: str, version: int | None = None) -> SopSpec:
        """The given version of KEY, or its latest; KeyError if there is none, even after a refresh."""
        try:
            return self._get(key, version)
        except KeyError:
            if self.refresh():
                return self._get(key, version)
            raise

    def _get(self, key: str, version: int | None) -> SopSpec:
        if version is not None:
            return self._specs[(key, version)]
        versions = [v for (k, v) in self._specs if k == key]
        if not versions:
            raise KeyError(key)
        return self._specs[(key, max(versions))]

    def latest(self) -> list[SopSpec]:
        """The newest version of every SOP, by key."""
        keys = sorted({k for (k, _) in self._specs})
        return [self.get(k) for k in keys]

    def all(self) -> list[SopSpec]:
        return [self._specs[i] for i in sorted(self._specs)]
