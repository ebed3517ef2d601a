"""A scaled-out deployment on one machine, for the distributed tests and bench/drain.py.

The topology of docker-compose.yaml: its own PostgreSQL server, Redis (Celery broker and result backend),
two api-servers behind HAProxy (deploy/haproxy.cfg), scheduler, dag-processor, triggerer, and Celery
workers. The settings are deploy/airflow.env and deploy/celery.env, as for the compose file; this only adds
what differs on one machine (addresses, ports, directories) and, in ``TEST_SPEED``, shorter intervals.

Workers get their own Airflow home and an environment without any metadata-database setting: they reach
Airflow through the execution API (the balancer), as the compose file's workers do.

Projects are whatever is in ``jobs_dir``, read by every component: a project (Python or JavaScript jobs)
is added by copying its folder there; the dag-processor parses it within ``REFRESH_INTERVAL`` seconds.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from tests.support.airflow_env import IN_PROCESS_ONLY, VENV_BIN, base_env
from tests.support.airflow_server import AirflowDeployment, free_port
from tests.support.deploy import celery_settings
from tests.support.pgserver import PostgresServer
from tests.support.redisserver import RedisServer

HAPROXY = "/usr/sbin/haproxy"
HAPROXY_CFG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"
# Shorter than production so the tests do not wait: the lost-worker timeout, the retry after it, parsing.
TEST_SPEED = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    "AIRFLOW__OPENFN__LOST_RUN_RETRY_DELAY_SECONDS": "1",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    "AIRFLOW__OPENFN__DISPATCH_SWEEP_SECONDS": "2",
}
# What each deployment sets itself; everything else comes from deploy/*.env. docker-compose.yaml sets the
# same keys (secrets as their _CMD variants) with its own values: tests/deploy/test_compose.py checks it.
PER_DEPLOYMENT = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__API__BASE_URL", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "AIRFLOW__API__WORKERS",
)  # fmt: skip
# Settings only servers get: workers have no metadata database and sign or decrypt nothing.
SERVER_ONLY = ("AIRFLOW__DATABASE__", "AIRFLOW__API_AUTH__", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY",
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_")  # fmt: skip


class DistributedDeployment(AirflowDeployment):
    """``url`` is the balancer's; ``api_servers`` the two api-servers' own URLs; ``workers`` their names."""

    def __init__(self, root: Path, *, jobs_dir: Path, workers: int = 2, extra_env: dict[str, str] | None = None) -> None:
        self.root = root
        self.jobs_dir = jobs_dir
        self.postgres = PostgresServer(durable_commits=True)  # it is crashed on purpose: a 202 must survive that
        self.redis = RedisServer()
        self.extra_env = extra_env or {}
        super().__init__(root / "home", jobs_dir=jobs_dir, db_uri="", extra_env=None)
        self.balancer_port = self.port
        self.url = f"http://127.0.0.1:{self.balancer_port}"
        self.api_ports = [free_port(), free_port()]
        self.api_servers = [f"http://127.0.0.1:{port}" for port in self.api_ports]
        self.workers = [f"worker-{n}" for n in range(1, workers + 1)]
        # restart: always, as in the compose file (see restart_exited)
        self._lock = threading.RLock()
        self._restarted: list[str] = []
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="restart-always", daemon=True)

    # --- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> DistributedDeployment:
        self.postgres.start()
        self.redis.start()
        self.dsn = self.postgres.create_database("airflow")
        self.env = self._server_env()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "passwords.json").write_text('{"admin": "admin"}')
        self.cli("db", "migrate")
        self._register_components()
        for name in ["api-server-1", "api-server-2", "scheduler", "dag-processor", "triggerer", *self.workers, "balancer"]:
            self.start_component(name)
        for url in self.api_servers:
            self.wait_healthy(url=url, path="/openfn/ready")
        self.wait_healthy(path="/openfn/ready")
        self._supervisor.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join(30)
        try:
            super().stop()
        finally:
            self.redis.stop()
            self.postgres.stop()

    def start_component(self, component: str) -> None:
        with self._lock:
            super().start_component(component)

    def kill_component(self, component: str, sig: int = signal.SIGKILL, timeout: float = 60) -> None:
        with self._lock:  # a component killed on purpose is not restarted behind the test's back
            super().kill_component(component, sig, timeout)

    def _supervise(self) -> None:
        while not self._stopping.wait(1.0):
            with self._lock:
                self._restarted += self._start_exited()

    def _start_exited(self) -> list[str]:
        exited = [name for name, process in self.processes.items() if process.poll() is not None]
        for name in exited:
            del self.processes[name]
            self.start_component(name)
        return exited

    # --- environments ---------------------------------------------------------------------------------
    def _server_env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        own = {  # what this deployment sets itself: its addresses and secrets
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.dsn.replace("postgresql://", "postgresql+psycopg2://"),
            "AIRFLOW__CELERY__BROKER_URL": self.redis.url(0),
            "AIRFLOW__CELERY__RESULT_BACKEND": self.redis.url(1),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": "openfn-distributed-test-jwt-secret",
            "AIRFLOW__API__SECRET_KEY": "openfn-distributed-test-secret-key",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__API__WORKERS": "1",
        }
        assert sorted(own) == sorted(PER_DEPLOYMENT)
        inherited = {key: value for key, value in os.environ.items() if key != IN_PROCESS_ONLY}  # the cluster keeps the default
        return {**inherited, **base_env(self.home, self.jobs_dir), **celery_settings(), **TEST_SPEED, **own, **self.extra_env}

    def worker_env(self, name: str) -> dict[str, str]:
        """A worker's environment: no metadata database, no secrets that only servers need, its own home."""
        home = self.root / name
        home.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in self.env.items() if not key.startswith(SERVER_ONLY)}
        env.update({
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),  # one machine, two log servers
        })  # fmt: skip
        return env

    def _register_components(self) -> None:
        airflow = str(VENV_BIN / "airflow")
        for n, port in enumerate(self.api_ports, 1):
            self.commands[f"api-server-{n}"] = ([airflow, "api-server"], {**self.env, "AIRFLOW__API__PORT": str(port)})
        for name in self.workers:
            queues = f"default,{celery_settings()['AIRFLOW__OPENFN__WAITING_SENDER_QUEUE']}"  # as docker-compose.yaml's workers
            self.commands[name] = ([airflow, "celery", "worker", "--celery-hostname", f"{name}@%h", "--queues", queues], self.worker_env(name))
        balancer = {
            **os.environ,
            "OPENFN_BALANCER_BIND": f"127.0.0.1:{self.balancer_port}",
            "OPENFN_API_SERVER_1": f"127.0.0.1:{self.api_ports[0]}",
            "OPENFN_API_SERVER_2": f"127.0.0.1:{self.api_ports[1]}",
        }
        self.commands["balancer"] = ([HAPROXY, "-f", str(HAPROXY_CFG), "-db"], balancer)

    # --- using it -------------------------------------------------------------------------------------
    def restart_exited(self) -> list[str]:
        """The components that exited since the last call (or since the start) and were started again.

        Some Airflow components (the dag-processor, the scheduler, at times) exit when the metadata
        database goes away and count on their supervisor to start them again. As compose's ``restart:
        always`` does, a thread starts every exited component again within a second, whenever it exits:
        a check made only when the test asks would miss a component that exits a moment later."""
        with self._lock:
            self._restarted += self._start_exited()
            restarted, self._restarted = self._restarted, []
        return restarted

    def restart_postgres(self) -> None:
        """A crash and restart of the metadata database (clients are cut off; it recovers from its WAL)."""
        self.postgres.crash()
        self.postgres.start_again()
