"""The pages translate an engine error by its code; English users and the API get the contract text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from test_web_app import Site, build_site, csrf_of, login

from workflow.services.tokens import create_token


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    built = build_site(f"sqlite:///{tmp_path / 'web.db'}", tmp_path / "uploads")
    yield built
    built.service.db.dispose()


def _english(client: FlaskClient) -> None:
    client.post("/lang/en", data={"csrf_token": csrf_of(client, "/"), "next": "/"})


def _refused_reassign(client: FlaskClient, site: Site) -> str:
    waiting = {w.assignee: w.task_id for w in site.service.status(site.instance_id).waiting_on}
    page = f"/instances/{site.instance_id}"
    return client.post(
        f"/tasks/{waiting['tim.sakip2']}/reassign", data={"csrf_token": csrf_of(client, page), "to": "kasubag"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip


def _bad_period(client: FlaskClient) -> str:
    return client.get("/format/kutorejo/2024-XX/kasi.pelayanan.pdf", follow_redirects=True).get_data(as_text=True)


def _broken_template(client: FlaskClient, site: Site) -> str:
    response = client.get(f"/instances/{site.instance_id}/nota-dinas.docx")
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.fixture
def broken_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docx import Document

    from workflow.services.documents import TEMPLATES

    monkeypatch.setenv("SAKIP_TEMPLATE_DIR", str(tmp_path / "tpl"))
    (tmp_path / "tpl" / "kutorejo").mkdir(parents=True)
    broken = Document(str(TEMPLATES / "nota_dinas.docx"))
    broken.add_paragraph("{{ 1/0 }}")
    broken.save(str(tmp_path / "tpl" / "kutorejo" / "nota_dinas.docx"))


@pytest.mark.usefixtures("broken_template")
def test_refusals_are_indonesian_by_their_code_and_english_when_chosen(site: Site) -> None:
    indonesian = login(site.app, "sekcam")
    assert "catatan: tuliskan alasan tugas dialihkan (mutasi, pensiun, cuti …)" in _refused_reassign(indonesian, site)
    assert "periode: &#39;2024-XX&#39; harus berbentuk TAHUN-TWn" in _bad_period(indonesian)
    # Raised in the template's isolated child process: its code and params cross back to the page.
    page = _broken_template(indonesian, site)
    assert "templat Word kutorejo/nota_dinas.docx: ada isian yang tidak dapat diisi (division by zero)" in page

    english = login(site.app, "sekcam")
    _english(english)
    refused = _refused_reassign(english, site)
    assert "note: say why the task is given to someone else" in refused and "catatan:" not in refused
    assert "period: &#39;2024-XX&#39; harus berbentuk TAHUN-TWn" in _bad_period(english)
    page = _broken_template(english, site)
    assert "Word template kutorejo/nota_dinas.docx: a field cannot be filled: division by zero" in page


def test_the_api_answers_the_english_contract_text_whatever_the_language(site: Site) -> None:
    token = create_token(site.service, "kasi.pelayanan")
    client = site.app.test_client()
    client.post("/lang/id", data={"csrf_token": csrf_of(client), "next": "/login"})
    response = client.post(
        f"/api/v1/tasks/{site.entry_task_id}/return", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert (
        response.get_json()["error"]
        == f"action: 'return' is not an action of task {site.entry_task_id}; use one of done"
    )
