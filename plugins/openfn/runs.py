"""The run contract, shared by the inbox and the task side (neither imports the other): message ids, run
ids and the run conf (SPEC §7), everything a run is known by before it exists, and the result: the task
ids and XCom keys it is read from and the outcome a workflow run records.

Where a run's result is: a v1 job's DAG in task ``run`` (``return_value`` = the final state,
``failed_state`` on failure); a workflow's DAG in task ``openfn_result`` (``return_value`` on success,
``final_state`` and ``outcome`` = ``Outcome.summary()`` always)."""

from __future__ import annotations

import datetime
import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

MESSAGE_RUN_PREFIX = "message"

# Task ids (SPEC §3, §11): a job DAG's task, and the task that decides a workflow run's outcome.
JOB_TASK = "run"
RESULT_TASK = "openfn_result"

# XCom keys besides ``return_value``.
FAILED_STATE_KEY = "failed_state"  # a job's state at failure, with ``errors``: what its fail trigger hands on
FINAL_STATE_KEY = "final_state"  # a workflow run's final output (openfn_result)
OUTCOME_KEY = "outcome"  # status, detail, error type and webhookResponse: what a reply after completion needs
EXECUTIONS_KEY = "executions"  # what a workflow step task recorded: one entry per execution of the step
STARTED_KEY = "started"  # pushed first: a step task that started and recorded no executions was lost
WEBHOOK_RESPONSE = "webhookResponse"  # the state key a step shapes a webhook's reply with


def result_task(workflow: bool) -> str:
    """The task a run's result is read from."""
    return RESULT_TASK if workflow else JOB_TASK


@dataclass(frozen=True)
class Outcome:
    """How a workflow run ended, as ``openfn_result`` records it (XCom ``outcome``: ``summary()``)."""

    status: str  # success | failed | crashed, as Lightning names a run's final state
    detail: str
    final: Any
    error_type: str | None = None  # of the execution that failed or crashed the run
    keyed: bool = False  # ``final`` holds several leaves' states, by execution id
    webhook_response: Any = None  # the last ``state.webhookResponse`` a step set

    def summary(self) -> dict:
        """What a reply after completion needs besides the final state (XCom ``outcome``)."""
        return {"status": self.status, "detail": self.detail, "error_type": self.error_type, "keyed": self.keyed,
                "webhook_response": self.webhook_response}  # fmt: skip


def new_message_id() -> str:
    """A UUID version 7 (RFC 9562): random, and sortable by the millisecond it was made."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


def utc_now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


def message_run_id(message_id: str, job: str, nth: int) -> str:
    """The run id of the ``nth`` run (1, 2, ...) of ``job`` for a message: the same inputs give the same
    id, so a run can never be created twice, and flow/fail runs (``flow__<message_id>__...``) sit beside it."""
    digest = hashlib.sha1(f"{message_id}\0{job}\0{nth}".encode()).hexdigest()[:16]
    return f"{MESSAGE_RUN_PREFIX}__{message_id}__{digest}"


def downstream_run_id(kind: str, message_id: str | None, dag_id: str, run_id: str, downstream_dag_id: str, cycle: int) -> str:
    """The run id of the flow/fail run that upstream run ``run_id`` of ``dag_id`` starts.

    One downstream run per upstream run, downstream DAG and clear cycle of the trigger task: a trigger task
    that is retried (its API call failed after the run was created, its worker died) finds the run it
    started and skips; an upstream run that an operator cleared and ran again hands over its new state.
    """
    digest = hashlib.sha1(f"{dag_id}\0{run_id}\0{downstream_dag_id}\0{cycle}".encode()).hexdigest()[:16]
    return f"{kind}__{message_id}__{digest}" if message_id else f"{kind}__{digest}"


def run_conf(*, project: str, message_id: str, body: Any, headers: dict[str, str], received_at: str) -> dict:
    """The DAG run conf of a message run: ``{"openfn": {...}, "state": {...}}`` (SPEC §5, §7)."""
    return {
        "openfn": {"message_id": message_id, "project": project, "trigger": "message"},
        "state": {
            "data": body,
            "references": [],
            "request": {"headers": headers, "message_id": message_id, "received_at": received_at},
        },
    }


def workflow_run_conf(*, project: str, trigger: str, message_id: str, body: Any, headers: dict[str, str], received_at: str) -> dict:
    """The DAG run conf of a message a workflow's webhook received (``trigger``: ``<workflow>/<trigger>``):
    the run starts at that trigger, from ``{"data": <body>, "request": ...}`` as on Lightning."""
    workflow, _, key = trigger.partition("/")
    return {
        "openfn": {"message_id": message_id, "project": project, "workflow": workflow, "trigger": key},
        "state": {
            "data": body,
            "request": {"method": "POST", "headers": headers, "message_id": message_id, "received_at": received_at},
        },
    }
