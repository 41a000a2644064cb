"""Signatures made before signed content had a format number still verify.

`tests/fixtures/signed_on_4af0358.sql` is a SQLite database made by the code of commit 4af0358
(`tests/fixtures/make_signed_on_4af0358.py`): three finished cycles whose paraf, tanda tangan and
reviewed versions hold content of format 1 (no `"format"` key). Today's code must read them as
unchanged (`sesuai`) while the data behind them is, and as changed once it is not; a new document
is written in format 2.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, FrozenClock
from helpers import advance_to
from sqlalchemy import select

from workflow.adapters import schema
from workflow.adapters.db import Database, make_engine
from workflow.adapters.models import DocumentVersion, Instance, Realisasi, Signature
from workflow.services.documents import bukti_dukung, laporan
from workflow.services.engine import WorkflowService
from workflow.services.rekap import (
    CONTENT_FORMAT,
    content_format,
    document_content,
    instance_format,
    sha256_text,
    signature_holds,
)
from workflow.sop.spec import SopRegistry

FIXTURE = ROOT / "tests" / "fixtures" / "signed_on_4af0358.sql"
# The signatures in the fixture, as 4af0358 recorded them: (instance, kind, role, SHA-256).
SIGNED = [
    (1, "tanda_tangan", "camat", "f2e473920038c63134b9cee6944c5c01e828438cab26944ca780c914bd78bb9e"),
    (2, "paraf", "kasubag_ppk", "eb14ab7d4e14aa6843609af24a81d8395b11ed15732e44106d0948e2f6ac6d59"),
    (2, "paraf", "sekcam", "eb14ab7d4e14aa6843609af24a81d8395b11ed15732e44106d0948e2f6ac6d59"),
    (2, "tanda_tangan", "camat", "eb14ab7d4e14aa6843609af24a81d8395b11ed15732e44106d0948e2f6ac6d59"),
    (3, "tanda_tangan", "camat", "87b13549ceea03e2b286ac6f011af1f615c2df99829d50402d16a42ba270ff43"),
]


@pytest.fixture
def old(tmp_path: Path, registry: SopRegistry, clock: FrozenClock) -> Iterator[WorkflowService]:
    """The 4af0358 database, upgraded by today's migrations (if there are any newer ones)."""
    path = tmp_path / "signed_on_4af0358.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(FIXTURE.read_text(encoding="utf-8"))
    connection.close()
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    db = Database.from_url(url)
    yield WorkflowService(db, registry, clock=clock)
    db.dispose()


def _nama(service: WorkflowService, instance: Instance) -> str:
    return service.registry.get(instance.sop_key, instance.sop_version).nama


def test_the_fixture_holds_what_4af0358_signed(old: WorkflowService) -> None:
    with old.db.unit_of_work(readonly=True) as uow:
        rows = list(uow.session.scalars(select(Signature).order_by(Signature.id)))
        assert [(r.instance_id, r.kind, r.role, r.sha256) for r in rows] == SIGNED
        for row in rows:
            assert sha256_text(row.content) == row.sha256
            assert content_format(row.content) == 1 and "format" not in json.loads(row.content)
        rekap = json.loads(rows[0].content)["rekap"]
        assert len(rekap["rows"]) == 15 and rekap["period"] == "2024-TW1"  # a whole Kertas Kerja was signed
        assert json.loads(rows[-1].content)["rekap"] is None  # the yearly LKjIP: the cycle's identity only


def test_every_old_signature_still_matches_the_report_as_it_stands(old: WorkflowService) -> None:
    with old.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        for row in s.scalars(select(Signature).order_by(Signature.id)):
            instance = s.get(Instance, row.instance_id)
            assert instance is not None
            nama = _nama(old, instance)
            assert instance_format(s, instance) == 1  # the document goes on in the format it was signed in
            # What the instance page and the bukti dukung compare: today's content hashes as signed.
            assert document_content(s, instance, nama) == row.content
            assert sha256_text(document_content(s, instance, nama)) == row.sha256
            assert signature_holds(s, instance, nama, row.content, row.sha256)
            # Read in the new format the same report would not match: the format-1 reading is what holds.
            assert sha256_text(document_content(s, instance, nama, format=CONTENT_FORMAT)) != row.sha256


def test_the_bukti_dukung_and_the_signed_laporan_of_an_old_cycle(old: WorkflowService) -> None:
    for instance_id in (1, 2, 3):
        html = bukti_dukung(old, instance_id).html
        assert html.count("<td>sesuai</td>") == sum(1 for i, *_ in SIGNED if i == instance_id)
        assert "isi berubah setelah ditandatangani" not in html
    report = laporan(old, 1)  # rendered from the content frozen in the old signature
    assert report.context["sha256"] == SIGNED[0][3]
    assert "102,76%" in report.html  # IKM 92,85 against 90,36, as signed


def test_an_old_signature_reads_as_changed_once_its_data_changes(old: WorkflowService) -> None:
    with old.db.unit_of_work() as uow:
        row = uow.session.scalar(select(Realisasi).where(Realisasi.period == "2024-TW1").limit(1))
        assert row is not None
        row.note = "diubah setelah ditandatangani"
        uow.commit()
    with old.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = s.get(Instance, 1)
        assert instance is not None
        signed = s.scalars(select(Signature).where(Signature.instance_id == 1)).one()
        assert sha256_text(document_content(s, instance, _nama(old, instance))) != signed.sha256
        assert not signature_holds(s, instance, _nama(old, instance), signed.content, signed.sha256)
    assert "isi berubah setelah ditandatangani" in bukti_dukung(old, 1).html
    # The other cycles' data did not change: their signatures still hold.
    assert "isi berubah setelah ditandatangani" not in bukti_dukung(old, 2).html


def test_a_tampered_stored_content_does_not_hold(old: WorkflowService) -> None:
    with old.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = s.get(Instance, 3)
        assert instance is not None
        signed = s.scalars(select(Signature).where(Signature.instance_id == 3)).one()
        forged = signed.content.replace('"unit":"kutorejo"', '"unit":"jetis"')
        assert forged != signed.content
        assert not signature_holds(s, instance, _nama(old, instance), forged, signed.sha256)
        assert not signature_holds(s, instance, _nama(old, instance), forged, sha256_text(forged))


def test_a_new_document_in_the_old_database_is_signed_in_format_2(old: WorkflowService) -> None:
    instance_id = old.start("penyusunan-lkjip", "kutorejo", "2025", "staf").instance_id
    advance_to(old, instance_id, "selesai")
    with old.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = s.get(Instance, instance_id)
        assert instance is not None
        signed = s.scalars(select(Signature).where(Signature.instance_id == instance_id)).one()
        assert content_format(signed.content) == CONTENT_FORMAT == 2
        assert signed.content.startswith('{"format":2,')
        assert instance_format(s, instance) == 2
        assert sha256_text(document_content(s, instance, _nama(old, instance))) == signed.sha256
        assert signature_holds(s, instance, _nama(old, instance), signed.content, signed.sha256)
        # The old documents stay in format 1 beside it.
        assert {content_format(v.content) for v in s.scalars(select(DocumentVersion))} == {1}
    assert "<td>sesuai</td>" in bukti_dukung(old, instance_id).html
