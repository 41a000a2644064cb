"""SOP versions pin running instances; the schema comes from the migrations and matches the models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import SOP_DIR, FrozenClock
from drive import drive

from workflow import schema
from workflow.db import Database
from workflow.errors import InvalidInput
from workflow.models import Base
from workflow.service import WorkflowService
from workflow.sop import SopRegistry

S4 = "pengukuran-data-kinerja"


def _copy_definitions(tmp_path: Path) -> Path:
    target = tmp_path / "sops"
    shutil.copytree(SOP_DIR, target)
    return target


def test_a_new_version_serves_new_instances_while_running_ones_keep_theirs(
    service: WorkflowService, tmp_path: Path, clock: FrozenClock
) -> None:
    old = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    sops = _copy_definitions(tmp_path)
    v1 = (sops / f"{S4}.v1.yaml").read_text(encoding="utf-8")
    v2 = v1.replace("version: 1", "version: 2", 1).replace("nama: Nota Dinas pengukuran", "nama: Nota Dinas (rev)")
    (sops / f"{S4}.v2.yaml").write_text(v2, encoding="utf-8")
    revised = WorkflowService(service.db, SopRegistry.from_directory(sops), clock=clock)

    new = revised.start(S4, "kutorejo", "2024-TW2", "camat").instance_id

    assert (revised.status(old).sop_version, revised.status(new).sop_version) == (1, 2)
    names = {t.instance_id: t.step_name for t in revised.tasks_for("camat")}
    assert names == {old: "Nota Dinas pengukuran", new: "Nota Dinas (rev)"}
    assert drive(revised, old)[-1] == "selesai"


def test_an_sop_version_edited_in_place_after_use_is_refused(
    service: WorkflowService, tmp_path: Path, clock: FrozenClock
) -> None:
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    sops = _copy_definitions(tmp_path)
    path = sops / f"{S4}.v1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("waktu: 60 Menit", "waktu: 90 Menit", 1), encoding="utf-8")
    edited = WorkflowService(service.db, SopRegistry.from_directory(sops), clock=clock)
    task = edited.tasks_for("camat")[0]

    with pytest.raises(InvalidInput, match="was changed after instances started from it"):
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
