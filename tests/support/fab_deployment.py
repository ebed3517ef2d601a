"""A real Airflow (api-server and dag-processor) with the FAB auth manager and roles restricted to some DAGs,
on SQLite or on the test PostgreSQL server: what permission tests need (SimpleAuthManager's roles cover
every DAG alike, so it cannot express "this user may read the clinic project only").

Used by the API tests (tests/inbox/api/test_permissions.py, on both databases) and the browser tests
(tests/ui/test_browser_permissions.py). No scheduler runs: the tests look at what the plugin stores and
at the DAG runs the dispatcher creates, not at task results.

Users (password = user name):

| user        | role              | may                                                                 |
|-------------|-------------------|---------------------------------------------------------------------|
| `admin`     | Admin             | everything                                                          |
| `nurse`     | `clinic_viewer`   | read every DAG of project clinic (Viewer without the global DAGs)    |
| `operator`  | `clinic_operator` | read, edit and trigger every DAG of clinic (User without global DAGs)|
| `referrals` | `referral_reader` | read clinic.referral only: not all of clinic, so no project at all   |
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.airflow_env import REPO, VENV_BIN
from tests.support.airflow_server import AirflowDeployment
from tests.support.templates import migrated_database

FAB_AUTH_MANAGER = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
PROJECTS = {"clinic": REPO / "tests" / "fixtures" / "inbox" / "clinic", "demo": REPO / "include" / "jobs" / "demo"}
USERS = {"admin": "Admin", "nurse": "clinic_viewer", "operator": "clinic_operator", "referrals": "referral_reader"}


def dag_ids(project: str) -> list[str]:
    from openfn.readers import load_project

    return [job.dag_id for job in load_project(PROJECTS[project]).jobs.values()]


def role_spec() -> dict:
    clinic = [f"DAG:{dag_id}" for dag_id in dag_ids("clinic")]
    return {
        "roles": {
            "clinic_viewer": {"base": "Viewer", "without": ["DAGs"], "add": [["can_read", r] for r in clinic]},
            "clinic_operator": {"base": "User", "without": ["DAGs"],
                                "add": [[action, r] for r in clinic for action in ("can_read", "can_edit")]},
            "referral_reader": {"base": "Viewer", "without": ["DAGs"], "add": [["can_read", "DAG:clinic.referral"]]},
        },
        "users": [{"username": name, "password": name, "role": role} for name, role in USERS.items()],
    }  # fmt: skip


class FabDeployment(AirflowDeployment):
    """An AirflowDeployment whose users log in with their own passwords (``api_as``)."""

    def __init__(self, *args, **kwargs) -> None:
        extra_env = {
            "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
        }
        super().__init__(*args, extra_env=extra_env, **kwargs)
        self._tokens: dict[str, str] = {}

    def start(self) -> FabDeployment:
        self.home.mkdir(parents=True, exist_ok=True)
        self.migrate()  # FAB's tables too (the provider brings its own DB manager)
        spec = self.home / "roles.json"
        spec.write_text(json.dumps(role_spec()))
        subprocess.run([str(VENV_BIN / "python"), "-m", "tests.support.fab_roles", str(spec)], env=self.env, cwd=REPO,
                       check=True, capture_output=True, timeout=300)  # fmt: skip
        for component in ("api-server", "dag-processor"):
            self.start_component(component)
        self.wait_healthy()
        return self

    def token_of(self, user: str) -> str:
        if user not in self._tokens:
            reply = httpx.post(f"{self.url}/auth/token", json={"username": user, "password": user}, timeout=30)
            assert reply.status_code == 201, reply.text
            self._tokens[user] = reply.json()["access_token"]
        return self._tokens[user]

    def token(self) -> str:
        return self.token_of("admin")

    def api_as(self, user: str, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token_of(user)}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def send(self, project: str, body: dict) -> str:
        """Post ``body`` to the project's inbox (URL as the admin sees it); returns the message id."""
        projects = self.api_as("admin", "GET", "/openfn/api/projects").json()["projects"]
        url = next(p["inbox_url"] for p in projects if p["name"] == project)
        reply = httpx.post(url, json=body, timeout=30)
        assert reply.status_code == 202, reply.text
        return reply.json()["meta"]["message_id"]


@contextmanager
def fab_deployment(root: Path, db: str, postgres_server=None) -> Iterator[FabDeployment]:
    """Start a FAB deployment with the clinic and demo projects on ``db`` ("sqlite" or "postgresql"), with
    its DAGs parsed; stop it on exit."""
    jobs = root / "jobs"
    for name, folder in PROJECTS.items():
        shutil.copytree(folder, jobs / name)
    home = root / "home"
    if db == "sqlite":
        db_uri = f"sqlite:///{home / 'airflow.db'}"
    else:
        db_uri = migrated_database(postgres_server, f"airflow_fab_{root.name}".replace("-", "_"))
    deployment = FabDeployment(home, jobs_dir=jobs, db_uri=db_uri, migrated=db != "sqlite")
    try:
        deployment.start()
        deployment.wait_for_dags(dag_ids("clinic") + dag_ids("demo"))
        yield deployment
    finally:
        deployment.stop()
