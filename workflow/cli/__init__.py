"""The `sakip` command line: a thin entry point over the service functions.

Exit codes (a contract): 0 ok, 1 check/validation found problems, 2 unknown user, task, SOP,
instance or unit, 3 action not allowed for this user, 4 conflict or already done, 5 invalid
input. Errors print one line on stderr.

The commands live by group in this package's modules (`tasks`, `sop`, `org`, `calendar`,
`performance`, `reminders`, `users`, `documents`, `setup`); each registers itself on `main`
when imported. `workflow.cli.base` holds what they share.
"""

from __future__ import annotations

from workflow.cli import calendar, documents, org, performance, reminders, setup, sop, tasks, users  # noqa: F401
from workflow.cli.base import Context, db_option, emit, fail, handles_errors, main, parse_moment

__all__ = ["Context", "db_option", "emit", "fail", "handles_errors", "main", "parse_moment"]
