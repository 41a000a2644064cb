"""A scheduler that is running while a new SOP version is loaded keeps processing notifications for
instances on the old and the new versions (issue #14's stale-registry bug: `sakip serve` and
`sakip scheduler` each held a registry of their own, and after a new version was loaded every pass
failed with KeyError on the outbox, stalling every "task opened" notification)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SOP_DIR, free_port
from helpers import S4, load_org_file
from sqlalchemy import select

from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.models import Instance, OutboxMessage
from workflow.services.engine import WorkflowService
from workflow.services.reminders import ReminderEngine
from workflow.sop.spec import SopRegistry

SAKIP = str(Path(sys.executable).with_name("sakip"))


def _site(tmp_path: Path) -> tuple[str, Path]:
    folder = tmp_path / "sops"
    shutil.copytree(SOP_DIR, folder)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    db = Database.from_url(url)
    schema.upgrade(db.engine)
    load_org_file(db)
    db.dispose()
    return url, folder


def _latest(folder: Path) -> int:
    """The newest version of S4 in FOLDER (the one new instances start on)."""
    return SopRegistry.from_directory(folder).get(S4).version


def _load_next_version(folder: Path) -> int:
    """What the admin page's "load" does: a new version's file saved into the SOP folder. Returns
    its number (one more than the newest in the folder)."""
    latest = _latest(folder)
    text = (folder / f"{S4}.v{latest}.yaml").read_text(encoding="utf-8")
    text = text.replace(f"version: {latest}\n", f"version: {latest + 1}\n", 1)
    (folder / f"{S4}.v{latest + 1}.yaml").write_text(text, encoding="utf-8")
    return latest + 1
    # A file system with a coarse clock may give it the same time as the others: the count changes anyway.


def _unprocessed(url: str) -> list[tuple[int, int]]:
    db = Database.from_url(url)
    try:
        with db.unit_of_work(readonly=True) as uow:
            rows = uow.session.execute(
                select(OutboxMessage.id, Instance.sop_version)
                .join(Instance, Instance.id == OutboxMessage.instance_id)
                .where(OutboxMessage.topic == "task_opened", OutboxMessage.processed_at.is_(None))
            ).all()
            return [(int(a), int(b)) for a, b in rows]
    finally:
        db.dispose()


def test_the_scheduler_registry_finds_a_version_loaded_by_the_web(tmp_path: Path) -> None:
    url, folder = _site(tmp_path)
    db = Database.from_url(url)
    web = WorkflowService(db, SopRegistry.from_directory(folder))
    scheduler = ReminderEngine(WorkflowService(db, SopRegistry.from_directory(folder)), None)
    old = web.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    scheduler.run_pass()
    latest = _latest(folder)
    loaded = _load_next_version(folder)
    web.registry.refresh()
    new = web.start(S4, "kutorejo", "2024-TW2", "camat").instance_id
    web.act(web.status(old).waiting_on[0].task_id, "done", "camat")  # the old version's next step opens
    assert {web.status(old).sop_version, web.status(new).sop_version} == {latest, loaded}
    report = scheduler.run_pass()
    assert report.events_processed >= 2
    assert _unprocessed(url) == []
    db.dispose()


def _run_until_processed(command: list[str], env: dict[str, str], url: str, folder: Path) -> None:
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    try:
        subprocess.run([SAKIP, "start", S4, "--unit", "kutorejo", "--period", "2024-TW1", "--as", "camat"],
                       env=env, check=True, capture_output=True, timeout=60)  # fmt: skip
        deadline = time.monotonic() + 60
        while _unprocessed(url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _unprocessed(url) == [], "the first pass did not run"
        loaded = _load_next_version(folder)
        subprocess.run([SAKIP, "start", S4, "--unit", "kutorejo", "--period", "2024-TW2", "--as", "camat"],
                       env=env, check=True, capture_output=True, timeout=60)  # fmt: skip
        waiting = _unprocessed(url)
        assert [version for _id, version in waiting] == [loaded]
        deadline = time.monotonic() + 60
        while _unprocessed(url) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert _unprocessed(url) == [], f"the task opened on version {loaded} was never processed"
        assert process.poll() is None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert "KeyError" not in output, output


@pytest.mark.parametrize("mode", ["scheduler", "serve"])
def test_a_running_process_processes_notifications_of_a_version_loaded_after_it_started(
    tmp_path: Path, mode: str
) -> None:
    url, folder = _site(tmp_path)
    env = {**os.environ, "SAKIP_DATABASE_URL": url, "SAKIP_SOP_DIR": str(folder), "SAKIP_SCHEDULER_INTERVAL": "5",
           "SAKIP_SECRET_KEY": "test", "SAKIP_UPLOAD_DIR": str(tmp_path / "up")}  # fmt: skip
    command = [SAKIP, "scheduler"] if mode == "scheduler" else [SAKIP, "serve", "--port", str(free_port())]
    _run_until_processed(command, env, url, folder)
