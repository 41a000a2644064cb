"""The organisation: units, people and who holds which role when, loaded from YAML."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.adapters.models import Person, RoleAssignment, Unit
from workflow.adapters.repository import fanout_positions, holders, holders_of, holdings
from workflow.domain.capaian import POLICIES
from workflow.domain.limits import NAME_MAX, SHORT_MAX, too_long
from workflow.domain.localtime import local_date
from workflow.domain.plaintext import control_problem, shown
from workflow.domain.plausibility import check_settings as check_plausibility
from workflow.domain.roles import ROLES, ROLES_WITH_SEKSI, SEKSI, Holder, Holding
from workflow.services.unit_calendars import validate_calendar
from workflow.sop.yamlsource import LineDict, LineList, SourceError, SourceErrors, load_yaml

UNIT_KINDS = ("provinsi", "kabupaten", "kecamatan", "perangkat_daerah")
# Matched against the whole text (fullmatch): `$` would also pass a trailing newline.
_CODE_RE = re.compile(r"[a-z][a-z0-9_-]*")
_USERNAME_RE = re.compile(r"[a-z][a-z0-9._-]*")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
NOTA_DINAS_FIELDS = ("seq", "unit_code", "year")
NOTA_DINAS_PATTERN_MAX = 100  # units.nota_dinas_pattern
_WIDTH_RE = re.compile(r"0?[1-9]")  # a width of 1 to 9, optionally zero-padded: {seq:03}


def nota_dinas_pattern_problem(pattern: str) -> str | None:
    """Why PATTERN cannot number a Nota Dinas, or None when it can.

    A pattern is text with the fields {seq}, {unit_code} and {year} (seq required); seq and
    year may have a small width (`{seq:03}`). Anything else str.format understands (another
    field, an attribute or index, a conversion, any other format spec) is refused: it would fail,
    or print what it should not, when a number is given.
    """
    if len(pattern) > NOTA_DINAS_PATTERN_MAX:
        return f"longer than {NOTA_DINAS_PATTERN_MAX} characters"
    problem = control_problem(pattern)
    if problem is not None:
        return problem
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        return f"is not a pattern ({exc}); write a brace that is text as {{{{ or }}}}"
    used: set[str] = set()
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in NOTA_DINAS_FIELDS:
            return f"unknown field {{{field}}}; use only {{seq}}, {{unit_code}} and {{year}}"
        if conversion is not None:
            return f"{{{field}!{conversion}}}: a conversion is not allowed"
        if spec and (field == "unit_code" or not _WIDTH_RE.fullmatch(spec)):
            return f"{{{field}:{spec}}}: only seq and year take a format, a width of 1 to 9 such as {{seq:03}}"
        used.add(field)
    if "seq" not in used:
        return "must contain {seq}; it may also use {unit_code} and {year}"
    return None


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent: str | None
    timezone: str
    unit_code: str | None
    calendar: dict[str, Any] | None = None
    capaian_policy: str | None = None
    nota_dinas_pattern: str | None = None
    plausibility: dict[str, Any] | None = None


@dataclass(frozen=True)
class AssignmentSpec:
    unit: str
    role: str
    seksi: str | None
    acting: bool
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class PersonSpec:
    username: str
    name: str
    nip: str | None
    pangkat: str | None
    email: str | None
    is_admin: bool
    assignments: tuple[AssignmentSpec, ...]


@dataclass(frozen=True)
class OrgFile:
    units: tuple[UnitSpec, ...]
    people: tuple[PersonSpec, ...]


@dataclass(frozen=True)
class LoadSummary:
    units: int
    people: int
    assignments: int


# The longest text each field takes (the database column's length); any other text NAME_MAX.
TEXT_LIMITS = {
    "code": 64, "name": NAME_MAX, "kind": 32, "parent": 64, "timezone": 64, "unit_code": 32,
    "capaian_policy": 32, "nota_dinas_pattern": 1000, "username": SHORT_MAX, "nip": 32, "pangkat": 100,
    "email": 200, "role": 32, "seksi": 32,
}  # fmt: skip


def _text(errors: list[SourceError], file: str, m: LineDict, key: str, path: str, required: bool) -> str | None:
    value = m.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(SourceError(file, m.line_of(key), path, "is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.append(SourceError(file, m.line_of(key), path, "must be text"))
        return None
    text = str(value).strip()
    # every text of this file is one line, and fits the column it is stored in
    problem = control_problem(text) or too_long(text, TEXT_LIMITS.get(key, NAME_MAX))
    if problem is not None:
        errors.append(SourceError(file, m.line_of(key), path, problem))
        return None
    return text


def _control_problems(value: Any) -> list[str]:
    """The control characters in every text (keys included) of a nested value, one reason each."""
    if isinstance(value, str):
        problem = control_problem(value)
        return [f"{value!r} {problem}"] if problem else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _control_problems(str(k)) + _control_problems(v)]
    if isinstance(value, list):
        return [p for item in value for p in _control_problems(item)]
    return []


def _date(errors: list[SourceError], file: str, m: LineDict, key: str, path: str) -> date | None:
    value = m.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):  # a date with a time of day: compared with dates later, it would crash
        reason = f"{value.isoformat()!r} has a time of day; write a date (YYYY-MM-DD)"
        errors.append(SourceError(file, m.line_of(key), path, reason))
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(SourceError(file, m.line_of(key), path, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def _unknown(errors: list[SourceError], file: str, m: LineDict, allowed: set[str], path: str) -> None:
    for key in m:
        if key not in allowed:
            errors.append(SourceError(file, m.line_of(key), f"{path}.{shown(key)}", "unknown field"))


def parse_org_file(file_path: Path) -> OrgFile:
    """Validate an organisation file; raise SourceErrors listing every problem."""
    file = str(file_path)
    data, _ = load_yaml(file_path)
    errors: list[SourceError] = []
    if not isinstance(data, LineDict):
        raise SourceErrors([SourceError(file, 1, "file", "must be a mapping with units and people")])
    _unknown(errors, file, data, {"units", "people"}, "")

    units: list[UnitSpec] = []
    raw_units = data.get("units")
    if not isinstance(raw_units, LineList):
        errors.append(SourceError(file, data.line_of("units"), "units", "must be a list"))
        raw_units = LineList()
        raw_units.item_lines = []
    codes: set[str] = set()
    for i, raw in enumerate(raw_units):
        path = f"units[{i}]"
        if not isinstance(raw, LineDict):
            errors.append(SourceError(file, raw_units.line_of(i), path, "must be a mapping"))
            continue
        _unknown(
            errors,
            file,
            raw,
            {
                "code",
                "name",
                "kind",
                "parent",
                "timezone",
                "unit_code",
                "calendar",
                "capaian_policy",
                "nota_dinas_pattern",
                "plausibility",
            },
            path,
        )
        plausibility: dict[str, Any] | None = None
        if raw.get("plausibility") is not None:
            problems = check_plausibility(raw["plausibility"])
            for key, reason in problems:
                where = f"{path}.plausibility" + (f".{shown(key)}" if key else "")
                errors.append(SourceError(file, raw.line_of("plausibility"), where, reason))
            if not problems:
                plausibility = {str(k): str(v) for k, v in raw["plausibility"].items()}
        calendar: dict[str, Any] | None = None
        if raw.get("calendar") is not None:
            calendar, problems = validate_calendar(raw["calendar"])
            problems += [("calendar", reason) for reason in _control_problems(calendar)]
            for field, reason in problems:
                errors.append(SourceError(file, raw.line_of("calendar"), f"{path}.{shown(field)}", reason))
        code = _text(errors, file, raw, "code", f"{path}.code", True)
        name = _text(errors, file, raw, "name", f"{path}.name", True)
        kind = _text(errors, file, raw, "kind", f"{path}.kind", True)
        parent = _text(errors, file, raw, "parent", f"{path}.parent", False)
        tz = _text(errors, file, raw, "timezone", f"{path}.timezone", False) or "Asia/Jakarta"
        unit_code = _text(errors, file, raw, "unit_code", f"{path}.unit_code", False)
        policy = _text(errors, file, raw, "capaian_policy", f"{path}.capaian_policy", False)
        pattern = _text(errors, file, raw, "nota_dinas_pattern", f"{path}.nota_dinas_pattern", False)
        problem = nota_dinas_pattern_problem(pattern) if pattern is not None else None
        if problem is not None:
            errors.append(SourceError(file, raw.line_of("nota_dinas_pattern"), f"{path}.nota_dinas_pattern", problem))
        if policy is not None and policy not in POLICIES:
            errors.append(
                SourceError(
                    file, raw.line_of("capaian_policy"), f"{path}.capaian_policy",
                    f"must be one of {', '.join(sorted(POLICIES))}",
                )
            )  # fmt: skip
        if code is not None and not _CODE_RE.fullmatch(code):
            errors.append(
                SourceError(file, raw.line_of("code"), f"{path}.code", "must be lower-case letters, digits, - or _")
            )
            code = None
        if code is not None and code in codes:
            errors.append(SourceError(file, raw.line_of("code"), f"{path}.code", f"duplicate unit {code!r}"))
            code = None
        if kind is not None and kind not in UNIT_KINDS:
            errors.append(
                SourceError(file, raw.line_of("kind"), f"{path}.kind", f"must be one of {', '.join(UNIT_KINDS)}")
            )
        if parent is not None and parent not in codes:
            errors.append(
                SourceError(file, raw.line_of("parent"), f"{path}.parent", f"unit {parent!r} must be listed before it")
            )
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(SourceError(file, raw.line_of("timezone"), f"{path}.timezone", f"unknown time zone {tz!r}"))
        if code and name and kind:
            codes.add(code)
            units.append(UnitSpec(code, name, kind, parent, tz, unit_code, calendar, policy, pattern, plausibility))

    people: list[PersonSpec] = []
    raw_people = data.get("people")
    if not isinstance(raw_people, LineList):
        errors.append(SourceError(file, data.line_of("people"), "people", "must be a list"))
        raw_people = LineList()
        raw_people.item_lines = []
    usernames: set[str] = set()
    for i, raw in enumerate(raw_people):
        path = f"people[{i}]"
        if not isinstance(raw, LineDict):
            errors.append(SourceError(file, raw_people.line_of(i), path, "must be a mapping"))
            continue
        _unknown(errors, file, raw, {"username", "name", "nip", "pangkat", "email", "admin", "roles"}, path)
        username = _text(errors, file, raw, "username", f"{path}.username", True)
        name = _text(errors, file, raw, "name", f"{path}.name", True)
        if username is not None and not _USERNAME_RE.fullmatch(username):
            errors.append(
                SourceError(
                    file,
                    raw.line_of("username"),
                    f"{path}.username",
                    "must be lower-case letters, digits, '.', '-' or '_'",
                )
            )
            username = None
        if username is not None and username in usernames:
            errors.append(
                SourceError(file, raw.line_of("username"), f"{path}.username", f"duplicate user {username!r}")
            )
            username = None
        email = _text(errors, file, raw, "email", f"{path}.email", False)
        if email is not None and not _EMAIL_RE.fullmatch(email):
            errors.append(
                SourceError(file, raw.line_of("email"), f"{path}.email", f"{email!r} is not an email address")
            )
            email = None
        admin = raw.get("admin", False)
        if not isinstance(admin, bool):
            errors.append(SourceError(file, raw.line_of("admin"), f"{path}.admin", "must be true or false"))
            admin = False
        assignments = _parse_assignments(errors, file, raw, path, codes)
        if username and name:
            usernames.add(username)
            people.append(
                PersonSpec(
                    username=username,
                    name=name,
                    nip=_text(errors, file, raw, "nip", f"{path}.nip", False),
                    pangkat=_text(errors, file, raw, "pangkat", f"{path}.pangkat", False),
                    email=email,
                    is_admin=admin,
                    assignments=assignments,
                )
            )
    if errors:
        raise SourceErrors(errors)
    return OrgFile(units=tuple(units), people=tuple(people))


def _parse_assignments(
    errors: list[SourceError], file: str, person: LineDict, path: str, units: set[str]
) -> tuple[AssignmentSpec, ...]:
    raw_roles = person.get("roles", [])
    if not isinstance(raw_roles, list):
        errors.append(SourceError(file, person.line_of("roles"), f"{path}.roles", "must be a list"))
        return ()
    result: list[AssignmentSpec] = []
    for j, raw in enumerate(raw_roles):
        rpath = f"{path}.roles[{j}]"
        line = raw_roles.line_of(j) if isinstance(raw_roles, LineList) else person.line
        if not isinstance(raw, LineDict):
            errors.append(SourceError(file, line, rpath, "must be a mapping with unit and role"))
            continue
        _unknown(errors, file, raw, {"unit", "role", "seksi", "plt", "from", "to"}, rpath)
        unit = _text(errors, file, raw, "unit", f"{rpath}.unit", True)
        role = _text(errors, file, raw, "role", f"{rpath}.role", True)
        seksi = _text(errors, file, raw, "seksi", f"{rpath}.seksi", False)
        acting = raw.get("plt", False)
        start = _date(errors, file, raw, "from", f"{rpath}.from")
        end = _date(errors, file, raw, "to", f"{rpath}.to")
        ok = True
        if unit is not None and unit not in units:
            errors.append(SourceError(file, raw.line_of("unit"), f"{rpath}.unit", f"unknown unit {unit!r}"))
            ok = False
        if role is not None and role not in ROLES:
            errors.append(
                SourceError(
                    file, raw.line_of("role"), f"{rpath}.role", f"unknown role {role!r}; known: {', '.join(ROLES)}"
                )
            )
            ok = False
        if role in ROLES_WITH_SEKSI and seksi not in SEKSI:
            reason = "is required for this role" if seksi is None else f"unknown seksi {seksi!r}"
            errors.append(
                SourceError(file, raw.line_of("seksi"), f"{rpath}.seksi", f"{reason}; one of {', '.join(SEKSI)}")
            )
            ok = False
        if role is not None and role not in ROLES_WITH_SEKSI and seksi is not None:
            errors.append(SourceError(file, raw.line_of("seksi"), f"{rpath}.seksi", f"role {role!r} has no seksi"))
            ok = False
        if not isinstance(acting, bool):
            errors.append(SourceError(file, raw.line_of("plt"), f"{rpath}.plt", "must be true or false"))
            ok = False
        if start and end and end < start:
            errors.append(SourceError(file, raw.line_of("to"), f"{rpath}.to", "ends before it starts"))
            ok = False
        if ok and unit and role:
            result.append(AssignmentSpec(unit, role, seksi, bool(acting), start, end))
    return tuple(result)


def load_org(session: Session, org: OrgFile) -> LoadSummary:
    """Upsert units and people; each listed person's assignments become exactly the file's.

    People missing from the file are left as they are: they may have signed evidence.
    """
    by_code = {u.code: u for u in session.scalars(select(Unit))}
    for spec in org.units:
        unit = by_code.get(spec.code)
        if unit is None:
            unit = Unit(code=spec.code)
            session.add(unit)
            by_code[spec.code] = unit
        unit.name = spec.name
        unit.kind = spec.kind
        unit.timezone = spec.timezone
        unit.unit_code = spec.unit_code
        unit.calendar = spec.calendar
        unit.capaian_policy = spec.capaian_policy
        unit.nota_dinas_pattern = spec.nota_dinas_pattern
        unit.plausibility = spec.plausibility
        unit.parent_id = None
        if spec.parent is not None:
            session.flush()
            unit.parent_id = by_code[spec.parent].id
    session.flush()

    by_username = {p.username: p for p in session.scalars(select(Person))}
    count = 0
    for pspec in org.people:
        person = by_username.get(pspec.username)
        if person is None:
            person = Person(username=pspec.username, active=True)
            session.add(person)
        person.name = pspec.name
        person.nip = pspec.nip
        person.pangkat = pspec.pangkat
        person.email = pspec.email
        lost_admin = bool(person.is_admin) and not pspec.is_admin
        person.is_admin = pspec.is_admin
        session.flush()
        kept = {(by_code[a.unit].id, a.role, a.seksi, a.acting, a.valid_from, a.valid_to) for a in pspec.assignments}
        removed = False
        for old in session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == person.id)):
            removed |= (old.unit_id, old.role, old.seksi, bool(old.acting), old.valid_from, old.valid_to) not in kept
            session.delete(old)
        if removed or lost_admin:
            # A role taken away (or cut short) ends the person's web sessions, in this transaction.
            end_sessions(session, [person.id])
        for a in pspec.assignments:
            session.add(
                RoleAssignment(
                    person_id=person.id,
                    unit_id=by_code[a.unit].id,
                    role=a.role,
                    seksi=a.seksi,
                    acting=a.acting,
                    valid_from=a.valid_from,
                    valid_to=a.valid_to,
                )
            )
            count += 1
    session.flush()
    return LoadSummary(units=len(org.units), people=len(org.people), assignments=count)


def end_sessions(session: Session, person_ids: Iterable[int]) -> None:
    """Bump the session version of these people: each web session made before ends at its next request.

    Called at logout, password change, deactivation and role removal, in the transaction that
    makes the change, so the change and the end of the sessions commit together.
    """
    ids = list(person_ids)
    if ids:
        session.execute(
            update(Person)
            .where(Person.id.in_(ids))
            .values(session_version=Person.session_version + 1)
            .execution_options(synchronize_session="fetch")
        )


def unit_parents(session: Session) -> dict[int, int | None]:
    """Every unit's parent unit (None at the top): the chain a superior's role reaches down."""
    return {unit_id: parent_id for unit_id, parent_id in session.execute(select(Unit.id, Unit.parent_id))}


# Who holds which role when: read through the repository (re-exported here for the org's callers).
__all__ = [
    "Holder", "Holding", "end_sessions", "fanout_positions", "holders", "holders_of", "holdings", "load_org",
    "local_date", "nota_dinas_pattern_problem", "parse_org_file", "unit_parents",
]  # fmt: skip
