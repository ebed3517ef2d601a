"""Python steps: a module defining ``operations``, applied to state in the task's own process.

A step's edges are evaluated here too (runtime/conditions.py): the trigger edge on the input, the
outgoing edges on the output, with the failed step's error in ``errors`` as OpenFn records it."""

from __future__ import annotations

import contextlib
from pathlib import Path

from openfn.adaptors.collections import run_access
from openfn.errors import JobFailed
from openfn.runtime.conditions import holds
from openfn.runtime.operations import load_operations, run_operations
from openfn.runtime.quiet import quiet_job
from openfn.runtime.runner import CRASH, FAILURE, NO_EDGES, SKIPPED, SUCCESS, Edges, JobCode, StepInput, StepOutcome


class PythonRunner:
    def run_step(self, code: JobCode, input: StepInput, edges: Edges = NO_EDGES) -> StepOutcome:
        if edges.trigger is not None:
            placeholder, condition = edges.trigger
            try:
                if not holds(condition, input.state, placeholder):
                    return StepOutcome(SKIPPED, state=input.state)
            except ValueError as error:
                return StepOutcome(CRASH, reason=str(error), error={"type": "RuntimeCrash"})
        state = input.state
        if input.configuration is not None:
            state["configuration"] = input.configuration
        quiet = contextlib.nullcontext() if code.job_logs else quiet_job(code.expression_file)
        try:
            with quiet, run_access(input.collections):
                final, status, failure = run_operations(code.key, load_operations(code.key, Path(code.expression_file)), state), SUCCESS, None
        except JobFailed as error:
            final, status, failure = _with_error(code.key, error.state if error.state is not None else state, error), FAILURE, error
        final = {key: value for key, value in final.items() if key not in input.remove}
        try:
            next_steps = tuple(target for target, condition in edges.next.items() if holds(condition, final, code.key))
        except ValueError as error:
            return StepOutcome(CRASH, state=final, reason=str(error), error={"type": "RuntimeCrash"})
        if failure is None:
            return StepOutcome(status, state=final, next=next_steps)
        error = {"type": failure.error_type, "message": str(failure)}
        return StepOutcome(status, state=final, next=next_steps, error=error, reason=str(failure), failure=failure)

    def kill(self) -> None:
        """Nothing to do: the operations run in the task process, which Airflow stops itself."""


def _with_error(key: str, state: dict, error: JobFailed) -> dict:
    """The state at the failure with ``errors.<step>``, as OpenFn hands a failed step's state on."""
    errors = state.get("errors") if isinstance(state.get("errors"), dict) else {}
    return {**state, "errors": {**errors, key: {"type": error.error_type, "message": str(error)}}}
