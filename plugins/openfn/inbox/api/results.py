"""Each run's result in the receipt: what it produced, why it failed, and the end of its task log.

* ``output``: a job's final state (its state at failure when it failed), a workflow run's final output, or
  a step's output (its executions' states, by execution id when it ran more than once), as indented JSON,
  cut after ``PREVIEW_CHARS`` characters in the receipt (``truncated``); ``full`` is the address that
  gives all of it.
* ``error``: the ``type`` and ``message`` of a failed run or step, as the job reported it (the run's
  ``errors`` or the workflow's outcome), else the last exception its task log recorded.
* ``log``: the last ``LOG_LINES`` lines of the task's log from the local log folder (None when the
  api-server cannot reach the file, e.g. with remote logging).

Everything shown is masked as task logs are: values under secret-looking keys, and every secret value
of the project's credentials (their Airflow Connections), become ``***``.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from openfn.errors import NotFound
from openfn.inbox.api.access import Access, project_access
from openfn.inbox.api.login import require_user
from openfn.inbox.api.workflows import steps_for
from openfn.inbox.catalog import chain_dag_ids
from openfn.inbox.services import Services
from openfn.inbox.store import run_results, search, task_logs
from openfn.inbox.store.receipts import all_runs
from openfn.masking import mask, mask_text, secret_values
from openfn.runs import EXECUTIONS_KEY, FAILED_STATE_KEY, FINAL_STATE_KEY, JOB_TASK, OUTCOME_KEY, RESULT_TASK

router = APIRouter(prefix="/api", tags=["management"], dependencies=[Depends(require_user)])
Allowed = Annotated[Access, Depends(project_access)]

PREVIEW_CHARS = 2000
LOG_LINES = 20
FULL_LOG_BYTES = 8 * 1024 * 1024
FAILED = ("failed", "upstream_failed")


def credential_secrets(project) -> list[str]:
    """The secret values of every credential the project names, read from their Airflow Connections."""
    from airflow.models.connection import Connection

    found: set[str] = set()
    for credential in getattr(project, "credentials", {}).values():
        try:
            conn = Connection.get_connection_from_secrets(credential.conn_id)
        except Exception:  # a missing Connection holds no secret to mask
            continue
        found.update(secret_values({"password": conn.password, **(conn.extra_dejson or {})}))
    return sorted(found, key=lambda value: (-len(value), value))


class Shaper:
    """Shapes the results of one message's runs, masked with ``secrets`` (a list, or a function that reads
    them the first time something is shown); ``full``: nothing cut."""

    def __init__(self, message_id: str, secrets, *, full: bool = False) -> None:
        self.message_id, self.full = message_id, full
        self._secrets = secrets

    @functools.cached_property
    def secrets(self) -> list[str]:
        return self._secrets() if callable(self._secrets) else list(self._secrets)

    def output(self, value: Any) -> dict | None:
        if value is None:
            return None
        text = json.dumps(mask(value, self.secrets), indent=2, ensure_ascii=False)
        cut = not self.full and len(text) > PREVIEW_CHARS
        return {"text": text[:PREVIEW_CHARS] if cut else text, "bytes": len(text.encode("utf-8")), "truncated": cut}

    def error(self, error_type: Any, message: Any) -> dict:
        return {"type": str(error_type or "Error"), "message": mask_text(str(message or ""), self.secrets)}

    def log(self, task: task_logs.TaskTry | None) -> tuple[dict | None, tuple[str, str] | None]:
        path = task_logs.log_path(task) if task is not None and task.try_number > 0 else None
        found = None if path is None else (task_logs.tail(path, None, FULL_LOG_BYTES) if self.full else task_logs.tail(path, LOG_LINES))
        if found is None:
            return None, None
        shown = {"task_id": task.task_id, "try_number": task.try_number,
                 "lines": [mask_text(line, self.secrets) for line in found.lines], "truncated": found.more}  # fmt: skip
        return shown, found.exception

    def address(self, run_id: str, step: str | None = None) -> str:
        return f"/openfn/api/messages/{self.message_id}/runs/{run_id}/result" + (f"?step={step}" if step else "")

    def job_run(self, run: dict, xcoms: dict, tries: dict) -> dict:
        """A v1 job's run: task ``run``'s final state, or its state at failure with the job's error."""
        value = xcoms.get((JOB_TASK, "return_value"))
        failed = xcoms.get((JOB_TASK, FAILED_STATE_KEY))
        log, exception = self.log(tries.get(JOB_TASK))
        error = None
        if value is None and isinstance(failed, dict):
            value = failed
            reported = (failed.get("errors") or {}).get(run["job"]) if isinstance(failed.get("errors"), dict) else None
            if isinstance(reported, dict):
                error = self.error(reported.get("type"), reported.get("message"))
        if error is None and run["state"] == "failed":
            error = self.error(*exception) if exception else None
        return {"error": error, "output": self.output(value), "log": log, "full": self.address(run["run_id"])}

    def workflow_run(self, run: dict, xcoms: dict, tries: dict) -> dict:
        """A workflow's run: its outcome and final output; each step's own result goes on the step."""
        outcome = xcoms.get((RESULT_TASK, OUTCOME_KEY))
        error = None
        if isinstance(outcome, dict) and outcome.get("status") not in (None, "success"):
            error = self.error(outcome.get("error_type"), outcome.get("detail"))
        for step in run.get("steps", []):
            if step["step"] != RESULT_TASK:
                step["result"] = self.step(run, step, xcoms, tries)
        return {"error": error, "output": self.output(xcoms.get((RESULT_TASK, FINAL_STATE_KEY))), "log": None,
                "full": self.address(run["run_id"])}  # fmt: skip

    def step(self, run: dict, step: dict, xcoms: dict, tries: dict) -> dict:
        executions = [e for e in xcoms.get((step["step"], EXECUTIONS_KEY)) or [] if isinstance(e, dict) and not e.get("halted")]
        log, exception = self.log(tries.get(step["step"]))
        bad = next((e for e in executions if e.get("status") in ("failure", "crash")), None)
        error = self.error(bad.get("error_type"), bad.get("reason")) if bad else None
        if error is None and step["state"] in FAILED and exception:
            error = self.error(*exception)
        states = [e for e in executions if e.get("state") is not None]
        value = states[0]["state"] if len(states) == 1 else ({e["id"]: e["state"] for e in states} if states else None)
        return {"error": error, "output": self.output(value), "log": log, "full": self.address(run["run_id"], step["step"])}


def shaper_for(services, project: str, message_id: str, *, full: bool = False) -> Shaper:
    """The Shaper of a message of ``project``, masking its credentials' secrets (read when first needed)."""
    found = services.catalog.get(project)
    return Shaper(message_id, (lambda: credential_secrets(found.project)) if found else [], full=full)


def add_results(connection, services, project: str, message_id: str, runs: list[dict]) -> None:
    """Add each run's ``result`` (and each workflow step's) to the receipt's ``runs``."""
    found = services.catalog.get(project)
    workflow_dags = {w.dag_id for w in found.project.workflows.values()} if found else set()
    shaper = shaper_for(services, project, message_id)
    keys = [(run["dag_id"], run["run_id"]) for run in runs if run["state"] not in ("pending",)]
    xcoms = run_results.result_xcoms(connection, keys) if keys else {}
    tries = run_results.task_tries(connection, keys) if keys else {}
    for run in runs:
        key = (run["dag_id"], run["run_id"])
        shape = shaper.workflow_run if run["dag_id"] in workflow_dags else shaper.job_run
        run["result"] = shape(run, xcoms.get(key, {}), tries.get(key, {}))


@router.get("/messages/{message_id}/runs/{run_id}/result", summary="All of a run's (or one step's) output and task log")
def run_result(message_id: str, run_id: str, request: Request, access: Allowed, services: Services,
               step: Annotated[str | None, Query(description="a workflow step's key")] = None) -> dict:  # fmt: skip
    """The receipt's ``result`` of one run (or of one of its steps) uncut: the whole output and the whole
    task log (its last 8 MiB)."""
    with services.database.read() as connection:
        row = search.message_row(connection, message_id, access.restriction)
        if row is None:
            raise NotFound("message", message_id, fix="Check the id (GET /openfn/api/messages lists them).")
        views = all_runs(connection, [message_id], chain_dag_ids(services.catalog, [row.project]))[message_id]
        runs = [view.as_dict() for view in views if view.run_id == run_id]
        if not runs:
            raise NotFound("run", run_id, fix="Take a run id from the message's receipt.")
        steps_for(connection, services, row.project, runs)
        run = runs[0]
        shaper = shaper_for(services, row.project, message_id, full=True)
        key = (run["dag_id"], run_id)
        xcoms = run_results.result_xcoms(connection, [key]).get(key, {})
        tries = run_results.task_tries(connection, [key]).get(key, {})
    if step is None:
        shape = shaper.workflow_run if "steps" in run else shaper.job_run
        return {"dag_id": run["dag_id"], "run_id": run_id, "step": None, **shape(run, xcoms, tries)}
    shown = next((s for s in run.get("steps", []) if s["step"] == step and step != RESULT_TASK), None)
    if shown is None:
        raise NotFound("step", step, fix="Use a step key from the run's steps in the receipt.")
    return {"dag_id": run["dag_id"], "run_id": run_id, "step": step, **shaper.step(run, shown, xcoms, tries)}
