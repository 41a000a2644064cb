"""SOP versions pin running instances; the schema comes from the migrations and matches the models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import SOP_DIR, FrozenClock
from drive import drive
from helpers import S4

from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.models import Base
from workflow.errors import InvalidInput
from workflow.services.engine import WorkflowService
from workflow.sop.spec import SopRegistry


def _copy_definitions(tmp_path: Path) -> Path:
    target = tmp_path / "sops"
    shutil.copytree(SOP_DIR, target)
    return target


def test_a_new_version_serves_new_instances_while_running_ones_keep_theirs(
    service: WorkflowService, tmp_path: Path, clock: FrozenClock
) -> None:
    # Before versions 2 and 3 were added: S4 at version 1 only, next to the other SOPs.
    sops = _copy_definitions(tmp_path)
    (sops / f"{S4}.v2.yaml").unlink()
    (sops / f"{S4}.v3.yaml").unlink()
    before = WorkflowService(service.db, SopRegistry.from_directory(sops), clock=clock)
    old = before.start(S4, "kutorejo", "2024-TW1", "camat").instance_id

    # The real sop_definitions/ adds versions 2 and 3: new instances get the latest, 3; the running
    # one keeps version 1.
    new = service.start(S4, "kutorejo", "2024-TW2", "camat").instance_id

    assert (service.status(old).sop_version, service.status(new).sop_version) == (1, 3)
    # Step 10 follows each instance's own version: under v1 the Sekretaris Camat reports (done),
    # from v2 the Camat signs.
    assert drive(service, old, until="lapor_camat")[-1] == "lapor_camat"
    assert drive(service, new, until="lapor_camat")[-1] == "lapor_camat"
    steps = {
        t.instance_id: (t.sop_version, t.role, t.actions)
        for user in ("sekcam", "camat")
        for t in service.tasks_for(user)
        if t.step_id == "lapor_camat"
    }
    assert steps == {old: (1, "sekcam", ("done",)), new: (3, "camat", ("sign",))}
    assert drive(service, old) == ["lapor_camat", "arsip", "selesai"]
    assert drive(service, new) == ["lapor_camat", "arsip", "selesai"]
    assert (service.status(old).sop_version, service.status(new).sop_version) == (1, 3)


def test_an_sop_version_edited_in_place_after_use_is_refused(
    service: WorkflowService, tmp_path: Path, clock: FrozenClock
) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    version = service.status(instance_id).sop_version
    assert version == 3  # the latest version of S4 is the one the instance is pinned to
    sops = _copy_definitions(tmp_path)
    path = sops / f"{S4}.v{version}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("waktu: 60 Menit", "waktu: 90 Menit", 1), encoding="utf-8")
    edited = WorkflowService(service.db, SopRegistry.from_directory(sops), clock=clock)
    task = edited.tasks_for("camat")[0]

    with pytest.raises(InvalidInput, match=f"{S4} version 3 was changed after instances started from it"):
        edited.act(task.id, "done", "camat")
    assert service.status(instance_id).state == "nota_dinas"


def test_upgrading_twice_changes_nothing_and_reaches_head(database: Database) -> None:
    schema.upgrade(database.engine)
    schema.upgrade(database.engine)
    assert schema.current_revision(database.engine) == schema.head_revision()


def test_the_migrations_build_exactly_the_tables_the_models_describe(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
