"""Lightning's ``enable_job_logs: false`` for Python steps: what the job itself writes (``print``, its
adaptor's log lines, any logger its own module uses) is dropped while it runs; the runtime's own lines
(each operation done, the failure and its cause) still reach the task log."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

ADAPTORS = str(Path(__file__).resolve().parent.parent / "adaptors")


class _JobRecords(logging.Filter):
    """Drops the records written by the job's module or by an adaptor."""

    def __init__(self, job_file: str) -> None:
        super().__init__()
        self.job_file = job_file

    def filter(self, record: logging.LogRecord) -> bool:
        path = str(Path(record.pathname).resolve()) if record.pathname else ""
        return not (path == self.job_file or path.startswith(ADAPTORS))


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def quiet_job(job_file: str | None) -> Iterator[None]:
    """While the job runs: its prints and its own and its adaptor's log records go nowhere."""
    records = _JobRecords(str(Path(job_file).resolve()) if job_file else "")
    handlers = {handler for logger in _loggers() for handler in logger.handlers}
    loggers = [logging.getLogger("openfn.job"), *_loggers()]
    for target in [*loggers, *handlers]:
        target.addFilter(records)
    try:
        with contextlib.redirect_stdout(_Discard()), contextlib.redirect_stderr(_Discard()):
            yield
    finally:
        for target in [*loggers, *handlers]:
            target.removeFilter(records)


def _loggers() -> list[logging.Logger]:
    """The root logger, and every logger with handlers of its own (records reach a handler from any logger)."""
    found = [logging.getLogger()]
    found += [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger) and logger.handlers]
    return found

