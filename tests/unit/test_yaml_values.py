"""Values YAML reads as something other than text are checked like any other (issue #13 review):
a date with a time of day, a number too large for what it counts, and a long plain scalar that
PyYAML would read as a number in quadratic time are each a `FILE:LINE: field: reason` error or
plain text, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sop_validation import MINIMAL, corrupt, errors_of, line_of, write
from test_text_and_patterns import org_errors

from workflow.services.org import parse_org_file
from workflow.sop.yamlsource import MAX_BYTES, MAX_TYPED, load_yaml

ORG = """\
units:
  - code: kutorejo
    name: NAME
    kind: kecamatan
people:
  - username: sekcam
    name: Sri Wahyuni
    roles:
      - {unit: kutorejo, role: sekcam, from: FROM, to: 2024-12-31}
"""


@pytest.mark.parametrize(
    ("written", "shown"),
    [("2024-01-01T10:00:00Z", "2024-01-01T10:00:00+00:00"), ("2024-01-01 10:00:00", "2024-01-01T10:00:00")],
)
def test_an_assignment_date_with_a_time_of_day_is_refused_at_its_line(tmp_path: Path, written: str, shown: str) -> None:
    text = ORG.replace("NAME", "Kecamatan Kutorejo").replace("FROM", written)
    assert org_errors(tmp_path, text) == [
        f"{tmp_path / 'org.yaml'}:9: people[0].roles[0].from: {shown!r} has a time of day; write a date (YYYY-MM-DD)"
    ]


def test_a_plain_date_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text(ORG.replace("NAME", "Kecamatan Kutorejo").replace("FROM", "2024-01-01"), encoding="utf-8")
    [assignment] = parse_org_file(path).people[0].assignments
    assert (str(assignment.valid_from), str(assignment.valid_to)) == ("2024-01-01", "2024-12-31")


def test_a_long_base_60_number_is_read_as_text_and_refused_by_the_field_it_is_in(tmp_path: Path) -> None:
    """`1:59:59:...` is a YAML 1.1 integer; PyYAML takes quadratic time to build a long one."""
    value = "1" + ":59" * ((MAX_BYTES - 200) // 3)  # the file just under 1 MB
    path = tmp_path / "org.yaml"
    path.write_text(ORG.replace("NAME", value).replace("FROM", "2024-01-01"), encoding="utf-8")
    data, _ = load_yaml(path)
    assert data["units"][0]["name"] == value  # text, as written
    given = f"{len(value):,}".replace(",", ".")
    assert f"{path}:3: units[0].name: at most 200 characters, {given} given" in org_errors(
        tmp_path, path.read_text(encoding="utf-8")
    )


def test_plain_scalars_up_to_the_limit_keep_their_yaml_types(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    long_number = "1" + "0" * (MAX_TYPED - 1)
    path.write_text(f"n: {long_number}\nm: {long_number}0\nbase60: 1:30\nday: 2024-01-01\nyes: true\n", "utf-8")
    data, _ = load_yaml(path)
    assert data["n"] == 10 ** (MAX_TYPED - 1) and data["m"] == long_number + "0"
    assert (data["base60"], str(data["day"]), data["yes"]) == (90, "2024-01-01", True)


def test_an_sop_version_too_large_for_a_file_name_or_a_database_integer_is_refused(tmp_path: Path) -> None:
    text = corrupt(MINIMAL, "version: 1\n", "version: 99999999999999999999\n")
    path = write(tmp_path, text)
    assert errors_of(path) == [f"{path}:{line_of(text, 'version: 9')}: version: must be a whole number from 1 to 9999"]
