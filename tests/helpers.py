"""Helpers shared by the test modules (fixtures stay in conftest.py; `drive` in drive.py).

- the SOP keys (`S4` and friends) and the test users' `PASSWORD`;
- `load_org_file`: the demo organisation (or another org file) into a database;
- `advance_to`: complete steps until an instance reaches a state;
- `run_together`: run callables in threads released at the same instant;
- `row_counts` and `assert_clean`: nothing was written by a refused action;
- `assert_consistent`: `sakip check` finds no violation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from conftest import ORG_FILE
from sqlalchemy import func, select

from workflow.adapters.db import Database
from workflow.adapters.models import Base, Task
from workflow.services.check import check
from workflow.services.engine import WorkflowService
from workflow.services.org import load_org, parse_org_file

# --- the SOP keys (sop_definitions/*.yaml) ----------------------------------------------------

S4 = "pengukuran-data-kinerja"  # Pengukuran Data Kinerja, the quarterly measurement cycle
S1 = "pengumpulan-data-kinerja"  # Pengumpulan Data Kinerja
S1_JETIS = "pengumpulan-data-kinerja-jetis"  # Jetis's own Pengumpulan Data Kinerja
LKJIP = "penyusunan-lkjip"  # Penyusunan LKjIP, yearly
SOP_KEYS = (S1, S4, S1_JETIS, LKJIP)
PASSWORD = "rahasia-uji-1"  # every test user's password where a test logs in


# --- setting up ------------------------------------------------------------------------------


def load_org_file(db: Database, path: Path = ORG_FILE) -> None:
    """Load an organisation file (the demo organisation, Kutorejo, by default) and commit."""
    with db.unit_of_work() as uow:
        load_org(uow.session, parse_org_file(path))
        uow.commit()


def advance_to(service: WorkflowService, instance_id: int, state: str) -> int | None:
    """Complete steps (whoever may act takes the first allowed action) until the instance is at
    STATE; return the id of its first waiting task (None once it has finished)."""
    while (status := service.status(instance_id)).state != state:
        for waiting in status.waiting_on:
            actor = service.candidates(waiting.task_id)[0]
            view = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id)
            service.act(waiting.task_id, view.actions[0], actor)
    return status.waiting_on[0].task_id if status.waiting_on else None


# --- at the same instant ---------------------------------------------------------------------


def run_together(calls: Sequence[Callable[[], object]], timeout: float = 120) -> list[object]:
    """Run CALLS in threads released at the same instant; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - the outcome under test
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)
    return results


# --- nothing written, nothing broken ---------------------------------------------------------


def row_counts(service: WorkflowService) -> dict[str, int]:
    """The number of rows of every table, and of open tasks (a refused action closes none)."""
    counted = {table.name: select(func.count()).select_from(table) for table in Base.metadata.sorted_tables}
    counted["open_tasks"] = select(func.count(Task.id)).where(Task.status == "open")
    one_statement = select(*(query.scalar_subquery().label(name) for name, query in counted.items()))
    with service.db.unit_of_work(readonly=True) as uow:
        return dict(uow.session.execute(one_statement).one()._mapping)


@contextmanager
def assert_clean(service: WorkflowService) -> Iterator[dict[str, int]]:
    """Assert that the block writes nothing: no table gains or loses a row, no task closes.
    Yields the counts from before the block."""
    before = row_counts(service)
    yield before
    assert row_counts(service) == before


def assert_consistent(service: WorkflowService) -> None:
    """`sakip check` finds no violation in the database."""
    with service.db.unit_of_work(readonly=True) as uow:
        report = check(uow.session, service.registry)
    assert report.violations == ()
