"""Domain errors, each with the CLI exit code the contract gives it."""

from __future__ import annotations


class WorkflowError(Exception):
    exit_code = 1


class NotFound(WorkflowError):
    """An unknown user, task, SOP, instance or unit."""

    exit_code = 2


class NotAllowed(WorkflowError):
    """The user may not take this action."""

    exit_code = 3


class Conflict(WorkflowError):
    """Someone else acted first, or the thing is already done."""

    exit_code = 4


class InvalidInput(WorkflowError):
    """The request itself is wrong: a missing note, a malformed period, a bad file."""

    exit_code = 5
