"""Resources an adaptor keeps for the length of one run (an HTTP client), closed when the run ends.

The runtime opens a scope around a job's operations (``run_scope``); adaptors ask for a resource with
``shared(key, open)``. Outside a scope (an operation called on its own, in a test or a notebook) there is
no run to share with, so ``shared`` yields a fresh resource and closes it after the call.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

_SCOPE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("openfn_run_resources", default=None)


@contextlib.contextmanager
def run_scope() -> Iterator[None]:
    """Keep resources opened inside for the whole block, and close them all at its end, errors included."""
    resources: dict[str, Any] = {}
    token = _SCOPE.set(resources)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        for resource in reversed(list(resources.values())):
            with contextlib.suppress(Exception):  # closing must never hide the job's own outcome
                resource.close()


@contextlib.contextmanager
def shared(key: str, open: Callable[[], Any]) -> Iterator[Any]:
    """The run's resource under ``key`` (opened on first use), or a one-off resource outside a run."""
    resources = _SCOPE.get()
    if resources is None:
        resource = open()
        try:
            yield resource
        finally:
            resource.close()
        return
    if key not in resources:
        resources[key] = open()
    yield resources[key]
