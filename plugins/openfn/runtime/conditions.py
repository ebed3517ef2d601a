"""Edge conditions of a Python step, evaluated here as @openfn/runtime evaluates them.

A JavaScript condition (``js_expression``) next to a Python step is refused when the project is read
(readers/_workflows.py), so a Python step never needs Node.js; ``holds`` still refuses one, naming it.
"""

from __future__ import annotations

from typing import Any

# The runtime's own rules (@openfn/runtime, compile-plan): the upstream step failed when its id is in errors.
NAMED = ("always", "on_job_success", "on_job_failure")


def is_javascript(condition: Any) -> bool:
    return isinstance(condition, str) and condition not in NAMED


def holds(condition: Any, state: dict | None, upstream: str) -> bool:
    """Whether an edge leaving ``upstream`` with ``condition`` is taken on ``state``."""
    if isinstance(condition, dict):
        return not condition.get("disabled") and holds(condition.get("condition", True), state, upstream)
    if condition is True or condition == "always":
        return True
    if condition is False or condition is None:
        return False
    errors = (state or {}).get("errors")
    failed = isinstance(errors, dict) and bool(errors.get(upstream))
    if condition == "on_job_success":
        return not failed
    if condition == "on_job_failure":
        return failed
    raise ValueError(f"the edge condition {condition!r} is JavaScript, which a Python step cannot evaluate")
