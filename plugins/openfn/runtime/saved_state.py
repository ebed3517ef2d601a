"""Cron state carry: the final state of each successful run is the initial state of the next.

Kept in the Airflow Variable ``openfn.state.<dag_id>`` (visible and editable under Admin > Variables),
read and written through the Task SDK, so workers never need database access.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from openfn.runtime.state import MAX_BYTES, WARN_BYTES, state_size

log = logging.getLogger("openfn.state")


def variable_key(dag_id: str) -> str:
    return f"openfn.state.{dag_id}"


def load(dag_id: str) -> dict | None:
    from airflow.sdk import Variable

    saved = Variable.get(variable_key(dag_id), default=None, deserialize_json=True)
    if saved is not None and not isinstance(saved, dict):
        log.warning("Variable %s does not hold a JSON object; starting from an empty state", variable_key(dag_id))
        return None
    return saved


@dataclass(frozen=True)
class SaveOutcome:
    size: int
    saved: bool
    warned: bool


def save(dag_id: str, state: dict) -> SaveOutcome:
    """Save ``state`` (already public) unless it is over 50,000 bytes; warn over 10,000 bytes."""
    from airflow.sdk import Variable

    size = state_size(state)
    if size > MAX_BYTES:
        log.warning(
            "Final state is %d bytes, over the %d-byte limit: NOT saved; the next run starts from the previous "
            "saved state. Clear state.references / state.data in a last operation.", size, MAX_BYTES,
        )
        return SaveOutcome(size=size, saved=False, warned=True)
    Variable.set(variable_key(dag_id), state, description=f"OpenFn: final state of the last successful run of {dag_id}", serialize_json=True)
    if size > WARN_BYTES:
        log.warning(
            "Final state is %d bytes, over %d bytes (saved; runs stop saving it above %d). "
            "Clear state.references / state.data in a last operation.", size, WARN_BYTES, MAX_BYTES,
        )
        return SaveOutcome(size=size, saved=True, warned=True)
    log.info("Final state saved to Variable %s (%d bytes)", variable_key(dag_id), size)
    return SaveOutcome(size=size, saved=True, warned=False)


def carry(dag_id: str, state: dict, *, run_id: str, notifier=None) -> SaveOutcome:
    """Save a cron run's output for the next run, and tell ``notifier`` when it is over a size limit: the one
    place a job, a cursor step and a workflow's result save the state they carry."""
    outcome = save(dag_id, state)
    if outcome.warned and notifier is not None:
        notifier.state_size_warning(dag_id, run_id, outcome.size, outcome.saved)
    return outcome
