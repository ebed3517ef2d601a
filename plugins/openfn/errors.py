"""The one exception hierarchy of the product: every error says what, where, and how to fix it."""

from __future__ import annotations

from typing import Any


class OpenFnError(Exception):
    """Base of every error raised by this product. ``fix`` is a sentence telling the user what to do."""

    fix: str = ""

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message


class ProjectError(OpenFnError):
    """A project folder that cannot be loaded: names the file, the key path, the bad value and the fix."""

    def __init__(self, file: str, key: str, problem: str, *, value: Any = None, fix: str = "") -> None:
        self.file = file
        self.key = key
        self.value = value
        self.problem = problem
        where = f"{file}: {key}" if key else file
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{where}: {problem}{shown}.", fix=fix)


class OperationArgumentError(OpenFnError, ValueError):
    """An operation was built with arguments it cannot use (raised when the job's operations are built)."""


class JobFailed(OpenFnError):
    """A job failed while running: names the job, the operation (index and name) and the cause.

    ``state`` is the state before the failing operation, handed (with ``errors``) to fail triggers.
    """

    def __init__(self, job: str, index: int | None, operation: str, cause: BaseException | str) -> None:
        self.job = job
        self.index = index
        self.operation = operation
        self.cause = cause
        self.state: dict | None = None
        reason = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        where = f"operation {index} ({operation})" if index is not None else operation
        super().__init__(f"Job {job!r} failed at {where}: {reason}")

    @property
    def error_type(self) -> str:
        """The cause's exception type, as OpenFn reports it in ``errors``."""
        return type(self.cause).__name__ if isinstance(self.cause, BaseException) else "JobError"
