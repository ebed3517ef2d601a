"""How a Lightning workflow runs across the tasks of its DAG, decided as OpenFn's runtime and Lightning
decide it, as pure functions of what the step tasks recorded (their ``executions`` XCom).

* A step runs once for every input that reaches it: from the run's trigger, when the trigger's edge holds
  on the run's input; and from every execution of an upstream step whose outgoing edge to it held (so a
  step reached from two upstreams that both ran, runs twice, as on OpenFn). Executions are named as
  OpenFn names them: ``step``, ``step-1``, ``step-2``...
* A crash (OpenFn's severities crash and kill) ends the run: steps after it do not run.
* The run failed when an execution that led nowhere (a leaf) failed; it succeeded otherwise, so a failure
  handled by an ``on_job_failure`` step that succeeded is a successful run. A crash makes it crashed.
* Its final output is the one leaf's state, or, with several leaves, their states keyed by execution id
  (leaves whose state is empty are left out).
* A step may shape the reply of a webhook that answers after completion with ``state.webhookResponse``
  (``{status, body}``, each optional): the last step that set it wins, as on Lightning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openfn.runs import WEBHOOK_RESPONSE, Outcome
from openfn.runtime.runner import CRASH, FAILURE, SUCCESS

__all__ = ["CRASH", "FAILURE", "SUCCESS", "Input", "Outcome", "execution_id", "halted", "inputs_for", "outcome", "recorded"]


@dataclass(frozen=True)
class Input:
    state: dict
    trigger_edge: tuple[str, Any] | None = None  # (placeholder id, condition) to evaluate before running


def execution_id(step: str, index: int) -> str:
    return step if index == 0 else f"{step}-{index}"


def inputs_for(step: str, *, trigger: str | None, trigger_edges: dict[str, Any], initial: dict | None,
               sources: tuple[str, ...], upstream: dict[str, list[dict] | None]) -> list[Input]:  # fmt: skip
    """Every input that reaches ``step``: the trigger's first, then each upstream execution whose edge to
    ``step`` held, in the order of the workflow's edges and of the executions."""
    inputs = []
    if trigger is not None and trigger in trigger_edges and initial is not None:
        placeholder = trigger if trigger != step else f"trigger:{trigger}"
        inputs.append(Input(state=initial, trigger_edge=(placeholder, trigger_edges[trigger])))
    for source in sources:
        for execution in upstream.get(source) or []:
            if execution.get("status") != CRASH and step in (execution.get("next") or ()):
                inputs.append(Input(state=execution.get("state") or {}))
    return inputs


def halted(upstream: dict[str, list[dict] | None]) -> bool:
    """Whether a crash before this step ended the run (recorded by the step that crashed or passed on)."""
    return any(execution.get("status") == CRASH or execution.get("halted") for executions in upstream.values() for execution in executions or [])


def recorded(step: str, executions: list[dict] | None, started: bool) -> list[dict] | None:
    """A step's executions, or a crash when its task started and ended without recording any (its worker
    was lost, or Airflow stopped it)."""
    if executions is None and started:
        return [{"id": step, "step": step, "status": CRASH, "state": None, "next": [],
                 "reason": "its task ended without a result (its worker was lost, or Airflow stopped it)"}]  # fmt: skip
    return executions


def _empty(state: Any) -> bool:
    return state in ({}, {"data": {}}, None)


def outcome(executions: dict[str, list[dict] | None]) -> Outcome:
    """The run's status and final output from every step's executions (steps in workflow order)."""
    recorded = [execution for step_executions in executions.values() for execution in step_executions or [] if not execution.get("halted")]
    crashed = next((e for e in recorded if e.get("status") == CRASH), None)
    leaves = [e for e in recorded if e.get("status") != CRASH and not e.get("next") and e.get("state") is not None]
    keyed = False
    if len(leaves) == 1:
        final = leaves[0]["state"]
    elif leaves:
        final, keyed = {e["id"]: e["state"] for e in leaves if not _empty(e["state"])}, True
    else:
        final = None
    responses = [e["state"][WEBHOOK_RESPONSE] for e in recorded if isinstance(e.get("state"), dict) and WEBHOOK_RESPONSE in e["state"]]
    common = {"keyed": keyed, "webhook_response": responses[-1] if responses else None}
    if crashed is not None:
        return Outcome("crashed", f"step {crashed['id']} crashed: {crashed.get('reason') or ''}".rstrip(": "), final,
                       error_type=crashed.get("error_type") or "RuntimeCrash", **common)  # fmt: skip
    failed = next((e for e in leaves if e.get("status") == FAILURE), None)
    if failed is not None:
        return Outcome("failed", f"step {failed['id']} failed and no step handled it: {failed.get('reason') or ''}".rstrip(": "), final,
                       error_type=failed.get("error_type") or "Error", **common)  # fmt: skip
    return Outcome("success", "", final, **common)
