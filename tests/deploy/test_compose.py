"""docker-compose.yaml cannot run here; these tests keep it consistent with the distributed test deployment
(tests/support/distributed.py): the same settings files, the same per-deployment keys, workers without a
database, tasks reaching the execution API through the balancer, and every secret it names generated."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.support.airflow_env import REPO
from tests.support.deploy import celery_settings
from tests.support.distributed import HAPROXY_CFG, PER_DEPLOYMENT, SERVER_ONLY

COMPOSE = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW = {name: s for name, s in SERVICES.items() if s.get("build") == "."}
IMAGE_ONLY = {"CONNECTION_CHECK_MAX_COUNT", "DUMB_INIT_SETSID"}  # read by the official image's entrypoint


def _keys(service: dict) -> set[str]:
    return {key.removesuffix("_CMD") for key in service.get("environment", {})}


def test_every_airflow_service_is_built_here_and_reads_the_settings_files_the_tests_read():
    assert sorted(AIRFLOW) == ["airflow-dag-processor", "airflow-init", "airflow-scheduler", "airflow-triggerer",
                               "airflow-worker", "api-server-1", "api-server-2"]  # fmt: skip
    for service in AIRFLOW.values():
        assert service["env_file"] == ["deploy/airflow.env", "deploy/celery.env"]
    assert (REPO / "Dockerfile").exists()


def test_compose_sets_only_per_deployment_keys_and_never_overrides_the_settings_files():
    for name, service in AIRFLOW.items():
        assert _keys(service) - IMAGE_ONLY <= set(PER_DEPLOYMENT), name
        assert not _keys(service) & set(celery_settings()), name


def test_workers_get_no_database_and_no_server_secret():
    worker = SERVICES["airflow-worker"]
    assert [key for key in _keys(worker) if key.startswith(SERVER_ONLY)] == []
    assert "secrets" not in worker


def test_servers_get_the_database_and_secrets_from_files():
    for name in ("api-server-1", "api-server-2", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-init"):
        env = AIRFLOW[name]["environment"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] == "cat /run/secrets/airflow_database_url"
        for key, value in env.items():
            if key.endswith("_CMD"):
                assert value.removeprefix("cat /run/secrets/") in AIRFLOW[name]["secrets"], (name, key)


def test_tasks_reach_the_execution_api_and_users_the_inbox_through_the_balancer():
    env = SERVICES["airflow-worker"]["environment"]
    assert urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])[1:3] == ("balancer:8080", "/execution/")
    balancer = SERVICES["balancer"]
    assert balancer["volumes"] == [f"./deploy/{HAPROXY_CFG.name}:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    servers = {value.split(":")[0] for key, value in balancer["environment"].items() if key.startswith("OPENFN_API_SERVER_")}
    assert servers == {"api-server-1", "api-server-2"}
    assert "option httpchk GET /openfn/ready" in HAPROXY_CFG.read_text()
    for name in ("api-server-1", "api-server-2"):
        assert SERVICES[name]["healthcheck"]["test"] == ["CMD", "curl", "--fail", "http://localhost:8080/openfn/ready"]


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    subprocess.run([str(REPO / "deploy" / "make-secrets.sh"), str(folder)], check=True, capture_output=True)
    return folder


def test_make_secrets_writes_every_secret_compose_names(secrets_dir):
    from cryptography.fernet import Fernet

    files = {name: Path(spec["file"]).name for name, spec in COMPOSE["secrets"].items()}
    assert all(spec["file"].startswith("deploy/secrets/") for spec in COMPOSE["secrets"].values())
    assert sorted((secrets_dir / f).exists() for f in files.values()) == [True] * len(files)
    read = {name: (secrets_dir / file).read_text().strip() for name, file in files.items()}
    Fernet(read["airflow_fernet_key"].encode())  # a valid key
    assert read["airflow_database_url"] == f"postgresql+psycopg2://airflow:{read['postgres_password']}@postgres:5432/airflow"
    assert list(json.loads(read["airflow_users"])) == ["admin"]
    assert len({read["airflow_jwt_secret"], read["airflow_secret_key"], read["postgres_password"]}) == 3


def test_make_secrets_never_changes_a_secret_in_use(secrets_dir):
    before = {p.name: p.read_text() for p in secrets_dir.iterdir()}
    subprocess.run([str(REPO / "deploy" / "make-secrets.sh"), str(secrets_dir)], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in secrets_dir.iterdir()} == before


def test_secrets_stay_out_of_git_and_out_of_the_image():
    assert "deploy/secrets/" in (REPO / ".gitignore").read_text().splitlines()
    assert "deploy/secrets/" in (REPO / ".dockerignore").read_text().splitlines()


def test_workers_consume_the_default_queue_and_the_one_of_waiting_senders_tasks():
    queue = celery_settings()["AIRFLOW__OPENFN__WAITING_SENDER_QUEUE"]
    assert queue and SERVICES["airflow-worker"]["command"] == f"celery worker --queues default,{queue}"
