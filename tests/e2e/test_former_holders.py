"""Someone who finished a task and then left the unit no longer reads its live work (issue #13
review): the finished task's page answers only while its finisher may still read the unit, by the
same rule as the instance page (web/access.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ORG_FILE
from helpers import advance_to, load_org_file
from sqlalchemy import select
from test_documents import _enter
from test_web_app import Site, build_site, login

from workflow.adapters.models import Person, Task

SEKCAM_ROLES = """      - {unit: kutorejo, role: sekcam}
      # A past acting assignment, as in Kutorejo's own record of Plt. Camat (002:25-33).
      - {unit: kutorejo, role: camat, plt: true, from: 2025-06-01, to: 2025-06-30}
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(f"sqlite:///{tmp_path / 'former.db'}", tmp_path / "uploads")
    yield built
    built.service.db.dispose()


def _past_the_review(site: Site) -> None:
    """Every data entry filled and done, and the sekcam's review approved."""
    service, perf = site.service, site.perf
    _enter(service, perf, site.instance_id)
    advance_to(service, site.instance_id, "lapor_camat")


def _finished_by(site: Site, step_id: str, username: str) -> int:
    with site.service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        person_id = s.scalar(select(Person.id).where(Person.username == username))
        task_id = s.scalar(
            select(Task.id).where(
                Task.instance_id == site.instance_id, Task.step_id == step_id, Task.finished_by_id == person_id
            )
        )
        assert task_id is not None, (step_id, username)
        return int(task_id)


def test_a_finisher_who_left_the_unit_no_longer_opens_the_finished_task(site: Site, tmp_path: Path) -> None:
    _past_the_review(site)
    review = _finished_by(site, "reviu_sekcam", "sekcam")
    entry = _finished_by(site, "pengukuran_asn", "kasi.pelayanan")
    sekcam = login(site.app, "sekcam")
    assert sekcam.get(f"/tasks/{review}").status_code == 200  # still the Sekcam: reads it
    # Mutasi: the Sekcam becomes an ASN of the Kabupaten, a role that reads no Kecamatan's work.
    moved = tmp_path / "org-moved.yaml"
    text = ORG_FILE.read_text(encoding="utf-8")
    assert SEKCAM_ROLES in text
    moved.write_text(text.replace(SEKCAM_ROLES, "      - {unit: mojokerto, role: asn}\n"), encoding="utf-8")
    load_org_file(site.service.db, moved)
    sekcam = login(site.app, "sekcam")
    assert sekcam.get(f"/instances/{site.instance_id}").status_code == 403
    refused = sekcam.get(f"/tasks/{review}")
    assert refused.status_code == 403
    assert "Kertas Kerja" not in refused.get_data(as_text=True) and "KL-1" not in refused.get_data(as_text=True)
    # A finisher still in the unit (the Kasi, not a candidate of the finished entry) still reads theirs.
    assert login(site.app, "kasi.pelayanan").get(f"/tasks/{entry}").status_code == 200
