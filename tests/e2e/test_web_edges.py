"""Input the pages do not expect is refused at the edge with a message, never a 500 (issue #13,
finding 7): page numbers, periods in URLs (which name downloaded files), a Nota Dinas pattern in the
database that cannot number, and an evidence file name that would break a header."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from test_web_app import PDF, Site, build_site, login

from workflow.adapters.models import DocumentNumber, Evidence, Unit
from workflow.errors import InvalidInput
from workflow.services.documents import nota_dinas_number
from workflow.services.performance import Submission


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(f"sqlite:///{tmp_path / 'edges.db'}", tmp_path / "uploads")
    built.app.config["PROPAGATE_EXCEPTIONS"] = False  # a failure is the 500 a browser would get
    yield built
    built.service.db.dispose()


def test_a_page_number_that_is_not_1_to_10000_is_refused_with_a_message(site: Site) -> None:
    client = login(site.app, "kasi.pelayanan")
    for page in ("99999999999999999999", "2147483648", "10001", "0", "-1", "abc", "1.5", "1e3", " 1", "1\n", "٣"):
        for box in ("inbox", "queue", "archive"):
            response = client.get("/", query_string={"box": box, "page": page})
            assert response.status_code == 400, (box, page, response.status_code)
            assert "halaman: harus bilangan bulat dari 1 sampai 10000" in response.get_data(as_text=True)


def test_page_numbers_in_range_are_served(site: Site) -> None:
    client = login(site.app, "kasi.pelayanan")
    for page in ("", "1", "2", "10000"):
        assert client.get("/", query_string={"page": page}).status_code == 200, page


PERIOD_URLS = (
    "/format/kutorejo/{period}/kasi.pelayanan.pdf",
    "/format/kutorejo/{period}/kasi.pelayanan.xlsx",
    "/rekap/kutorejo/{period}?format=xlsx",
    "/rekap/kutorejo/{period}",
)


def test_a_period_that_is_not_exactly_a_triwulan_is_refused_with_a_message(site: Site) -> None:
    client = login(site.app, "tim.sakip1")
    for url in PERIOD_URLS:
        for period in ("2024-TW1%0A", "2024-TW1%0D%0A", "2024-TW1%0D", "%202024-TW1", "2024-TW1%20", "2024-TW9"):
            response = client.get(url.format(period=period))
            where = (url, period, response.status_code)
            assert response.status_code == 302 and response.headers["Location"] == "/", where
            assert "Content-Disposition" not in response.headers
            assert "periode: " in client.get("/").get_data(as_text=True), where  # the notice, in Indonesian


def test_a_downloaded_files_name_is_made_of_the_checked_period(site: Site) -> None:
    client = login(site.app, "tim.sakip1")
    expected = {
        "/format/kutorejo/2024-TW1/kasi.pelayanan.pdf": "format-data-kinerja-kutorejo-2024-TW1-kasi.pelayanan.pdf",
        "/format/kutorejo/2024-TW1/kasi.pelayanan.xlsx": "format-data-kinerja-kutorejo-2024-TW1-kasi.pelayanan.xlsx",
        "/rekap/kutorejo/2024-TW1?format=xlsx": "kertas-kerja-kutorejo-2024-TW1.xlsx",
    }
    for url, name in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Disposition"].replace('"', "") == f"attachment; filename={name}"


def test_a_bad_nota_dinas_pattern_in_the_database_is_a_notice_and_gives_no_number(site: Site) -> None:
    client = login(site.app, "camat")
    for pattern in ("{seq}/{tahun}", "{seq.__class__}", "{seq[0]}", "{seq!r}", "{seq:,}", "065/{seq", "{seq}" * 30):
        # A pattern that reached the database before the organisation file was checked this strictly.
        with site.service.db.unit_of_work() as uow:
            kabupaten = uow.session.scalar(select(Unit).where(Unit.code == "mojokerto"))
            assert kabupaten is not None
            kabupaten.nota_dinas_pattern = pattern
            uow.commit()
        with pytest.raises(InvalidInput, match="^nota_dinas_pattern of unit mojokerto: "):
            nota_dinas_number(site.service, site.instance_id)
        for fmt in ("pdf", "docx"):
            response = client.get(f"/instances/{site.instance_id}/nota-dinas.{fmt}")
            assert response.status_code == 302, (pattern, fmt, response.status_code)
            assert response.headers["Location"] == f"/instances/{site.instance_id}"
        page = client.get(f"/instances/{site.instance_id}").get_data(as_text=True)
        assert "pola nomor Nota Dinas unit mojokerto tidak dapat dipakai" in page, pattern
    with site.service.db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count(DocumentNumber.id))) == 0  # nothing numbered


def test_an_evidence_file_name_with_a_control_character_is_refused_and_never_reaches_a_header(site: Site) -> None:
    bad = "bukti\r\nX-Evil: 1.pdf"
    with pytest.raises(InvalidInput, match="nama berkas memuat karakter kendali"):
        site.perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="402", denominator="402",
                                    files=[(bad, PDF)]))  # fmt: skip
    # One stored before uploads refused it downloads under its name without the control characters.
    with site.service.db.unit_of_work() as uow:
        evidence = uow.session.get(Evidence, site.evidence_id)
        assert evidence is not None
        evidence.filename = bad
        uow.commit()
    response = login(site.app, "kasi.pelayanan").get(f"/evidence/{site.evidence_id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].replace('"', "") == "attachment; filename=bukti__X-Evil: 1.pdf"
