"""The management API's parts for Lightning workflows: each workflow in the projects listing (steps,
triggers, each webhook's own inbox URL), each run's steps in a receipt, and retry from a step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from openfn.errors import Forbidden, InvalidRequest, NotFound
from openfn.inbox.api.access import Access, project_access
from openfn.inbox.api.login import require_user
from openfn.inbox.services import Services
from openfn.inbox.store import search
from openfn.inbox.store import workflow_runs
from openfn.model.workflow import Workflow

router = APIRouter(prefix="/api", tags=["management"], dependencies=[Depends(require_user)])
Allowed = Annotated[Access, Depends(project_access)]


class RetryRequest(BaseModel):
    step: str = Field(min_length=1, description="The step (task id) to run again, with every step after it")


def workflow_listing(project, urls: dict[str, str] | None) -> list[dict]:
    """The project's workflows; ``urls``: inbox name -> URL, for users who may see the tokens (else None)."""
    listed = []
    for workflow in project.workflows.values():
        triggers = []
        for trigger in workflow.triggers.values():
            shown = {"key": trigger.key, "kind": trigger.kind, "enabled": trigger.enabled}
            if trigger.kind == "webhook":
                shown.update(reply=trigger.reply, inbox_url=None if urls is None else urls.get(f"{project.name}/{workflow.key}/{trigger.key}"))
            else:
                shown.update(cron=trigger.cron, timezone=trigger.timezone, cursor_step=trigger.cursor_step)
            triggers.append(shown)
        listed.append({
            "key": workflow.key, "dag_id": workflow.dag_id, "name": workflow.name, "triggers": triggers,
            "steps": [{"key": s.key, "name": s.name, "adaptor": f"{s.adaptor_package}@{s.adaptor_installed}" if s.adaptor_installed else f"@openfn/language-{s.adaptor}",
                       "problem": s.problem} for s in workflow.steps.values()],
            "edges": [{"source": e.source, "target": e.target, "condition": e.condition, "expression": e.expression,
                       "label": e.label, "enabled": e.enabled, "from_trigger": e.from_trigger} for e in workflow.edges],
        })  # fmt: skip
    return listed


def steps_for(connection, services, project: str, runs: list[dict]) -> None:
    """Add each workflow run's ``steps`` (its task instances) to the receipt's ``runs``."""
    found = services.catalog.get(project)
    workflow_dags = {w.dag_id for w in found.project.workflows.values()} if found else set()
    keys = [(run["dag_id"], run["run_id"]) for run in runs if run["dag_id"] in workflow_dags]
    steps = workflow_runs.steps_of_runs(connection, keys)
    for run in runs:
        if run["dag_id"] in workflow_dags:
            run["steps"] = steps.get((run["dag_id"], run["run_id"]), [])


def workflow_of(services, project: str, workflow_key: str) -> Workflow:
    found = services.catalog.get(project)
    workflow = found.project.workflows.get(workflow_key) if found else None
    if workflow is None:
        raise NotFound("workflow", workflow_key, fix="GET /openfn/api/projects lists each project's workflows.")
    return workflow


@router.post("/messages/{message_id}/runs/{run_id}/retry", summary="Run a workflow again from one of its steps")
def retry_from_step(message_id: str, run_id: str, body: RetryRequest, request: Request, access: Allowed, services: Services) -> dict:
    """Airflow's clear of the step, the steps after it and ``openfn_result`` in that run: the step runs
    again from the input it had, and what follows is decided again. Needs permission to clear the DAG's
    task instances."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    with services.database.read() as connection:
        row = search.message_row(connection, message_id, access.restriction)
        views = {} if row is None else {v["run_id"]: v for v in _runs(connection, message_id)}
    if row is None:
        raise NotFound("message", message_id, fix="Check the id (GET /openfn/api/messages lists them).")
    run = views.get(run_id)
    if run is None:
        raise NotFound("run", run_id, fix="Take a run id from the message's receipt.")
    workflow = workflow_of(services, row.project, run["job"])
    if run["dag_id"] != workflow.dag_id:
        raise InvalidRequest(f"Run {run_id} is not a run of a workflow", fix="Re-run a job with POST /openfn/api/messages/<id>/runs.")
    manager = get_auth_manager()
    if not manager.is_authorized_dag(method="PUT", user=access.user, access_entity=DagAccessEntity.TASK_INSTANCE, details=DagDetails(id=workflow.dag_id)):
        raise Forbidden(f"You may not clear tasks of DAG {workflow.dag_id}", fix="Ask an Airflow admin for the permission to edit its task instances.")
    with services.database.session() as session:
        cleared = workflow_runs.clear_from_step(session, workflow, run_id, body.step)
    return {"dag_id": workflow.dag_id, "run_id": run_id, "step": body.step, "cleared": cleared, "requested_by": access.user_name}


def _runs(connection, message_id: str) -> list[dict]:
    from openfn.inbox.store.receipts import inbox_runs

    return [view.as_dict() for view in inbox_runs(connection, [message_id]).get(message_id, [])]
