"""Who may see and do what, project by project, as the deployment's Airflow auth manager says (simple, FAB,
Keycloak...: the plugin only asks it questions, it keeps no roles of its own).

* **Read a project** (its messages, receipts, job-states, search results, counts, its projects-page entry):
  the user may read *every* DAG of the project. A message reaches every job of its project, so a user who
  may see only some of its DAGs sees none of its messages. Messages of a project the inbox does not know
  (its folder was removed, or is broken) are shown only to users who may read every DAG, including DAGs
  no role names yet: that is asked about a DAG id no project can have.
* **Start runs** (re-run, reprocess, run now): permission to trigger that DAG.
* **See an inbox token** (inbox URL, curl line): permission to edit every DAG of the project, or to edit
  its token Variable ``openfn_inbox_token_<project>``.
* **Erase a message's body and headers**: permission to edit every DAG of its project.

Routes get an ``Access`` from the ``project_access`` dependency and filter in the database query with
``Access.restriction`` (``search.visible``), so what a user may not read never reaches a count, a page cursor or a search.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from openfn.errors import Forbidden
from openfn.inbox.api.login import require_user

# Project names are [a-z0-9_-]+, so no DAG of any project has this id: only a permission that covers every
# DAG (present and future) covers it.
ANY_DAG = "openfn.*any-dag*"


@dataclass(frozen=True)
class Access:
    user: Any
    everything: bool  # may read every DAG: every project, and messages of projects the inbox does not know
    projects: frozenset[str]  # projects whose DAGs the user may all read

    @property
    def user_name(self) -> str:
        """The name Airflow shows for the user (recorded with the runs they start)."""
        return str(self.user.get_name())

    def can_read(self, project: str) -> bool:
        return self.everything or project in self.projects

    @property
    def restriction(self) -> frozenset[str] | None:
        """The projects every query must be limited to; None: no limit (see search.visible)."""
        return None if self.everything else self.projects


def _manager():
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def _dag_details(dag_id: str):
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return DagDetails(id=dag_id)


def may_read_dags(user, dag_ids: Iterable[str]) -> set[str]:
    """The DAG ids among ``dag_ids`` that ``user`` may read."""
    return set(_manager().filter_authorized_dag_ids(dag_ids=set(dag_ids), user=user, method="GET"))


def access_for(user, dags_of_project: dict[str, list[str]]) -> Access:
    """What ``user`` may read, given each project's DAG ids."""
    everything = bool(may_read_dags(user, [ANY_DAG]))
    if everything:
        return Access(user=user, everything=True, projects=frozenset(dags_of_project))
    readable = may_read_dags(user, [dag_id for dag_ids in dags_of_project.values() for dag_id in dag_ids])
    projects = frozenset(name for name, dag_ids in dags_of_project.items() if dag_ids and set(dag_ids) <= readable)
    return Access(user=user, everything=False, projects=projects)


def may_trigger(user, dag_id: str) -> bool:
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity

    return _manager().is_authorized_dag(method="POST", user=user, access_entity=DagAccessEntity.RUN, details=_dag_details(dag_id))


def require_trigger(user, dag_ids: Iterable[str]) -> None:
    """Raise Forbidden (403) unless ``user`` may start runs of every DAG in ``dag_ids``."""
    for dag_id in dag_ids:
        if not may_trigger(user, dag_id):
            raise Forbidden(f"You may not start runs of DAG {dag_id}", fix="Ask an Airflow admin for the permission to trigger it.")


def may_edit(user, dag_ids: list[str]) -> bool:
    """Whether ``user`` may edit every DAG in ``dag_ids`` (none: every DAG, also DAGs no role names yet)."""
    manager = _manager()
    return all(manager.is_authorized_dag(method="PUT", user=user, details=_dag_details(d)) for d in dag_ids or [ANY_DAG])


def may_see_token(user, project: str, dag_ids: list[str]) -> bool:
    """Whether ``user`` may see the project's inbox token: edit its DAGs, or edit its token Variable."""
    from airflow.api_fastapi.auth.managers.models.resource_details import VariableDetails

    from openfn.inbox.store.tokens import token_variable

    if dag_ids and may_edit(user, dag_ids):
        return True
    return _manager().is_authorized_variable(method="PUT", user=user, details=VariableDetails(key=token_variable(project)))


def dag_ids_of(project) -> list[str]:
    """Every DAG of a project: one per job, and one per Lightning workflow."""
    return [job.dag_id for job in project.jobs.values()] + [flow.dag_id for flow in getattr(project, "workflows", {}).values()]


def project_dag_ids(catalog) -> dict[str, list[str]]:
    """project -> its DAG ids, for the projects the inbox knows now."""
    return {name: dag_ids_of(found.project) for name, found in catalog.snapshot().projects.items()}


async def project_access(request: Request, user=Depends(require_user)) -> Access:
    """The dependency of every route that reads or writes project data."""
    services = request.app.state.openfn_services()
    return await run_in_threadpool(lambda: access_for(user, project_dag_ids(services.catalog)))
