"""What a sender held for its message's result is answered with, as Lightning shapes it (replies.py waits).

The runs a reply waits for (``Run``: the message's first run and, for a chain, the flow and fail runs that
follow it) and their results make a ``Plan``; once every run is done, ``build_answer`` gives the reply:
``{"data": <the final state's data>, "meta": {...}}`` with status ``success_code`` (default 201) when the run
succeeded, and for a run that failed or crashed ``{"error": "run_failed", "message": ..., "data": null,
"meta": {...}}`` with ``error_code`` (default 502). A job sets its own status and body with
``state.webhookResponse = {status, body}`` (the last one set wins). Past the limit, ``timeout_answer`` is the
stored 202 and how to follow the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from openfn.runs import WEBHOOK_RESPONSE, result_task

SUCCESS_CODE, ERROR_CODE = 201, 502
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class Answer:
    """What a waiting request is answered with.

    ``kind``: ``result`` (status, body, headers are the reply), ``immediate`` (the message is not answered
    after completion: its stored 202 is the reply), ``missing`` (no such message), ``erased``."""

    kind: str
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


IMMEDIATE, MISSING, ERASED = Answer("immediate"), Answer("missing"), Answer("erased")


@dataclass
class Run:
    """A run whose result the answer needs, and what became of it."""

    job: str  # the job's key, or the workflow's
    dag_id: str
    run_id: str
    workflow: bool = False
    status: str | None = None  # success | failed | crashed | skipped, once its result task has finished
    final: Any = None  # its final state (a failed job: its state at failure)
    outcome: dict | None = None  # a workflow's: status, detail, error type, webhookResponse, keyed
    error_type: str | None = None
    error: str | None = None
    finished_at: str | None = None
    created: bool = False  # its DAG run exists (no need to ask whether Airflow refused it)
    followed: bool = False  # its flow/fail runs have been looked for (reply_flow)
    pending: list[tuple[str, Any]] = field(default_factory=list)  # (kind, downstream job) whose trigger task has not finished
    children: list[Run] = field(default_factory=list)

    @property
    def task_id(self) -> str:
        return result_task(bool(self.workflow))


@dataclass
class Plan:
    message_id: str
    project: str
    trigger: str | None
    received_at: str
    chain: bool
    success_code: int | None
    error_code: int | None
    first: Run
    project_model: Any = None  # openfn.readers.Project, for the flow/fail jobs of a chain

    def runs(self) -> list[Run]:
        found, queue = [], [self.first]
        while queue:
            run = queue.pop(0)
            found.append(run)
            queue.extend(run.children)
        return found

    def done(self) -> bool:
        return all(run.status is not None and (not self.chain or (run.followed and not run.pending)) for run in self.runs())


def _data(state: Any) -> Any:
    return state.get("data") if isinstance(state, dict) else None


def build_answer(plan: Plan) -> Answer:
    """The reply for a plan whose runs are all done."""
    followed = plan.runs()
    leaves = [run for run in followed if not run.children]
    failed = next((run for run in leaves if run.status != "success"), None)
    status = "success" if failed is None else ("crashed" if failed.status == "crashed" else "failed")
    if len(leaves) == 1 and leaves[0].workflow:
        leaf = leaves[0]
        keyed = bool((leaf.outcome or {}).get("keyed"))
        data = {key: _data(state) for key, state in leaf.final.items()} if keyed and isinstance(leaf.final, dict) else _data(leaf.final)
    elif len(leaves) == 1:
        data = _data(leaves[0].final)
    else:
        data = {run.job: _data(run.final) for run in leaves}
    response = None
    for run in followed:  # the last one set wins
        if run.workflow:
            candidate = (run.outcome or {}).get("webhook_response")
        else:
            candidate = run.final.get(WEBHOOK_RESPONSE) if isinstance(run.final, dict) else None
        if isinstance(candidate, dict):
            response = candidate
    last = leaves[-1]
    meta = {
        "message_id": plan.message_id,
        "state": status,
        "error_type": failed.error_type if failed is not None else None,
        "received_at": plan.received_at,
        "finished_at": max((run.finished_at for run in followed if run.finished_at), default=None),
        "runs": [{"job": run.job, "dag_id": run.dag_id, "run_id": run.run_id, "state": run.status} for run in followed],
    }
    code = _status(response)
    if status == "success":
        code = code or plan.success_code or SUCCESS_CODE
        body: Any = {"data": data, "meta": meta}
    else:
        code = code or plan.error_code or ERROR_CODE
        what = f"The run of {'workflow' if failed.workflow else 'job'} {failed.job!r} {'crashed' if status == 'crashed' else 'failed'}"
        detail = (failed.error or "")[:MAX_ERROR_CHARS]
        body = {"error": "run_failed", "message": f"{what}: {detail}" if detail else f"{what}.", "data": None, "meta": meta}
    if isinstance(response, dict) and "body" in response:
        body = response["body"]
    headers = {"x-openfn-message-id": plan.message_id, "x-openfn-run-id": last.run_id}
    if code in (204, 304):
        return Answer("result", code, "", headers)
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return Answer("result", code, text, headers)


def _status(response: Any) -> int | None:
    if not isinstance(response, dict):
        return None
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        return None  # (a 1xx is not a final answer: the trigger's own code is used)
    return status


def timeout_answer(stored_reply: str, limit: float, result_path: str) -> str:
    """The 202 of a message whose run has not finished within ``limit`` seconds: the reply it would have had
    at once, and how to get the result later."""
    reply = json.loads(stored_reply)
    meta = reply.setdefault("meta", {})
    meta["reply"] = (
        f"The run has not finished within {limit:g} s. Its result is answered to a GET of result_url, or to the "
        "same request sent again with the same Idempotency-Key (neither starts another run)."
    )
    meta["result_url"] = result_path
    return json.dumps(reply, ensure_ascii=False, separators=(",", ":"))
