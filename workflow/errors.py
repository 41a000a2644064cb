"""Domain errors: each carries the CLI exit code the contract gives it, a stable code and its parameters.

The message (`str(error)`) is the English contract text that the CLI prints and the API returns.
The pages never read that text: they translate `code` with `params` through the Babel catalogue
(`web/messages.py`), so rewording a message cannot silently drop its translation.

    raise Conflict(f"task {task_id} was changed by someone else at the same time; reload it",
                   code="task.changed", task=task_id)
"""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    exit_code = 1
    #: The code of an error raised without one: the pages then show the English message as it is.
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.params: dict[str, Any] = params

    @property
    def message(self) -> str:
        return str(self)


class NotFound(WorkflowError):
    """An unknown user, task, SOP, instance or unit."""

    exit_code = 2
    default_code = "not_found"


class NotAllowed(WorkflowError):
    """The user may not take this action."""

    exit_code = 3
    default_code = "not_allowed"


class Conflict(WorkflowError):
    """Someone else acted first, or the thing is already done."""

    exit_code = 4
    default_code = "conflict"


class InvalidInput(WorkflowError):
    """The request itself is wrong: a missing note, a malformed period, a bad file."""

    exit_code = 5
    default_code = "invalid_input"


def invalid_value(exc: Exception) -> InvalidInput:
    """InvalidInput with EXC's message, passing on its code and params when it has them (an
    `IndicatorError`), else code `value.invalid` with the message as `detail`."""
    code = getattr(exc, "code", None) or "value.invalid"
    params = getattr(exc, "params", None) or {"detail": str(exc)}
    return InvalidInput(str(exc), code=code, **params)
