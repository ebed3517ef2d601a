"""Real Airflow components (api-server, scheduler, dag-processor, and with ``triggerer=True`` a triggerer)
as subprocesses, for end-to-end tests.

Each deployment has its own Airflow home, port and metadata database (normally a database on the
test PostgreSQL server), LocalExecutor, and SimpleAuthManager with the user admin:admin.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.airflow_env import IN_PROCESS_ONLY, VENV_BIN, base_env

COMPONENTS = ("api-server", "scheduler", "dag-processor")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AirflowDeployment:
    def __init__(self, home: Path, *, jobs_dir: Path, db_uri: str, extra_env: dict[str, str] | None = None,
                 migrated: bool = False, triggerer: bool = False) -> None:
        """``migrated``: ``db_uri`` is a migrated database already (tests/support/templates.py);
        ``triggerer``: start a triggerer too (deferred sensors, asset watchers)."""
        self.home = home
        self.db_uri = db_uri
        self.components = (*COMPONENTS, "triggerer") if triggerer else COMPONENTS
        self.migrated = migrated
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{key: value for key, value in os.environ.items() if key != IN_PROCESS_ONLY},
            **base_env(home, jobs_dir),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_uri,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            # every project is in place before the start (the one DAG file reads them all): parsing again every
            # few seconds would only burn CPU that the tests running beside it need
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "60",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "openfn-e2e-secret-not-for-production",
            **(extra_env or {}),
        }
        if triggerer:
            # The triggerer's trigger runner reads no fernet_key from airflow.cfg (observed with 3.3.2), so
            # a trigger stored by the dag-processor with that key could not be decrypted there: set it here.
            from cryptography.fernet import Fernet

            self.env.setdefault("AIRFLOW__CORE__FERNET_KEY", Fernet.generate_key().decode())
        self.processes: dict[str, subprocess.Popen] = {}
        # name -> (argv, env) of components that are not plain `airflow <name>` with self.env
        self.commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        self.cwd: Path | None = None  # where the components start (None: this process's working directory)
        self._token: str | None = None

    # --- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> AirflowDeployment:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({"admin": "admin"}))
        self.migrate()
        for component in self.components:
            self.start_component(component)
        self.wait_healthy()
        return self

    def migrate(self) -> None:
        if not self.migrated:
            self.cli("db", "migrate")
            self.migrated = True

    def start_component(self, component: str) -> None:
        argv, env = self.commands.get(component, ([str(VENV_BIN / "airflow"), component], self.env))
        with open(self.home / f"{component}.log", "ab") as log:
            self.processes[component] = subprocess.Popen(argv, env=env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                                         start_new_session=True)

    def kill_component(self, component: str, sig: int = signal.SIGKILL, timeout: float = 60) -> None:
        process = self.processes[component]
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=timeout)
        del self.processes[component]

    def stop(self, grace: float = 5) -> None:
        """SIGTERM to every component at once, then SIGKILL to those still running after ``grace`` seconds
        (one after another, each could take the whole grace period). A test's deployment is thrown away: a
        scheduler still finishing a task, or an api-server a request, is not waited for."""
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for component in list(self.processes):
            try:
                self.processes[component].wait(timeout=max(0.0, deadline - time.monotonic()))
                del self.processes[component]
            except subprocess.TimeoutExpired:
                self.kill_component(component, signal.SIGKILL)

    def wait_healthy(self, timeout: float = 180, url: str | None = None, path: str = "/api/v2/monitor/health") -> None:
        url = url or self.url
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"airflow {name} exited with {process.returncode}: see {self.home / (name + '.log')}")
            try:
                if httpx.get(f"{url}{path}", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{url}{path} not healthy after {timeout}s: see the logs in {self.home}")

    # --- using it -----------------------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def token(self) -> str:
        if self._token is None:
            reply = httpx.post(f"{self.url}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30)
            reply.raise_for_status()
            self._token = reply.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def wait_for(self, predicate, what: str, timeout: float = 180, interval: float = 0.5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        logs = "\n".join(f"--- {p.name}:\n{p.read_text()[-3000:]}" for p in sorted(self.home.glob("*.log")))
        raise TimeoutError(f"timed out after {timeout}s waiting for {what}\n{logs}")

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180) -> None:
        def parsed():
            reply = self.api("GET", "/api/v2/dags", params={"limit": 1000})
            return reply.status_code == 200 and set(dag_ids) <= {d["dag_id"] for d in reply.json()["dags"]}

        self.wait_for(parsed, f"DAGs {dag_ids} to be parsed", timeout)

    def dag_runs(self, dag_id: str) -> list[dict]:
        reply = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "run_after"})
        reply.raise_for_status()
        return reply.json()["dag_runs"]

    def wait_for_run_state(self, dag_id: str, run_id: str, states=("success", "failed"), timeout: float = 240) -> dict:
        def finished():
            reply = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
            return reply.json() if reply.status_code == 200 and reply.json()["state"] in states else None

        return self.wait_for(finished, f"{dag_id} {run_id} to finish", timeout)

    def variable(self, key: str):
        reply = self.api("GET", f"/api/v2/variables/{key}")
        return json.loads(reply.json()["value"]) if reply.status_code == 200 else None
