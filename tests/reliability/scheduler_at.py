"""`sakip scheduler` whose clock starts at a given moment and runs on from there.

The scheduler crash test restarts the scheduler "a working day later" after each SIGKILL instead
of waiting for days to pass. Everything else is what `sakip scheduler` runs: the same Context,
SchedulerRunner (leader lock, APScheduler interval job) and SMTP settings from the environment.
It prints `pass sent=N uncertain=M` after each pass.

    python tests/reliability/scheduler_at.py --start 2026-04-07T09:00+07:00 [--interval 2] [--db URL]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta

from workflow.adapters.mailer import SmtpSettings
from workflow.cli import Context
from workflow.services.engine import WorkflowService
from workflow.services.reminders import PassReport
from workflow.services.scheduler import SchedulerRunner


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", required=True, help="ISO date and time with offset")
    parser.add_argument("--interval", type=int, default=2)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start)
    assert start.tzinfo is not None, "--start needs an offset"
    began = time.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - began)

    def on_report(report: PassReport) -> None:
        delivery = report.delivery
        sent, uncertain = (delivery.sent, delivery.uncertain) if delivery else (0, 0)
        print(f"pass sent={sent} uncertain={uncertain} problems={len(report.problems)}", flush=True)

    ctx = Context(args.db)
    service = WorkflowService(ctx.db, ctx.registry, clock=clock)
    SchedulerRunner(service, SmtpSettings.from_env(), on_report=on_report).run_forever(args.interval)


if __name__ == "__main__":
    main()
