"""Load a job's expression module and apply its ``operations`` to state, in order."""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from openfn.errors import JobFailed
from openfn.runtime.resources import run_scope

log = logging.getLogger("openfn.job")

Operation = Callable[[dict], dict]


def load_operations(job: str, path: Path) -> list[Operation]:
    """Import ``path`` as a fresh module and return its ``operations`` (raises JobFailed naming the cause)."""
    name = f"openfn_job_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise JobFailed(job, None, "loading the job", f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module: any error is the job's error
        raise JobFailed(job, None, f"loading {path.name}", exc) from exc
    finally:
        sys.modules.pop(name, None)
    operations = getattr(module, "operations", None)
    if not isinstance(operations, list | tuple):
        raise JobFailed(job, None, f"loading {path.name}", "it must define `operations`, a list of operations (callables taking and returning state)")
    for index, operation in enumerate(operations, start=1):
        if not callable(operation):
            raise JobFailed(job, index, operation_name(operation), f"is a {type(operation).__name__}, not an operation (a callable taking state)")
    return list(operations)


def operation_name(operation: object) -> str:
    """A readable name: the factory's name set by adaptors (``__openfn_name__``), else the function's."""
    return str(getattr(operation, "__openfn_name__", None) or getattr(operation, "__qualname__", None) or type(operation).__name__)


def run_operations(job: str, operations: list[Operation], state: dict) -> dict:
    """Apply each operation to the state; log one line per operation; raise JobFailed on the first error.

    On failure the exception carries ``state``: the last state before the failing operation.
    """
    with run_scope():  # adaptors' clients live for this run and are closed when it ends
        return _apply(job, operations, state)


def _apply(job: str, operations: list[Operation], state: dict) -> dict:
    total = len(operations)
    for index, operation in enumerate(operations, start=1):
        name = operation_name(operation)
        started = time.perf_counter()
        try:
            result = operation(state)
        except Exception as exc:
            error = JobFailed(job, index, name, exc)
            error.state = state
            raise error from exc
        elapsed = (time.perf_counter() - started) * 1000
        if not isinstance(result, dict):
            error = JobFailed(job, index, name, f"returned {type(result).__name__}, not the next state (a dict); did you forget `return state`?")
            error.state = state
            raise error
        log.info("operation %d/%d %s done in %.1f ms", index, total, name, elapsed)
        state = result
    return state
