"""The distributed deployment (tests/support/distributed.py), started once for every distributed test:
the demo project, the JavaScript jobs of tests/fixtures/jobs/js and the projects of
tests/fixtures/distributed, two api-servers behind HAProxy, two Celery workers without database settings.
Any project is added the same way: copy its folder into ``jobs``."""

from __future__ import annotations

import shutil

import pytest

from tests.support.airflow_env import REPO
from tests.support.distributed import DistributedDeployment

DAGS = ["demo.register-patient", "demo.confirm-registration", "demo.registration-failed", "burst.intake", "burst.alert", "slow.wait",
        "js.boom", "js.catch-boom"]  # fmt: skip


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("distributed")
    jobs = root / "jobs"
    shutil.copytree(REPO / "include" / "jobs" / "demo", jobs / "demo")
    shutil.copytree(REPO / "tests" / "fixtures" / "jobs" / "js", jobs / "js")
    shutil.copytree(REPO / "tests" / "fixtures" / "distributed", jobs, dirs_exist_ok=True)
    deployment = DistributedDeployment(root, jobs_dir=jobs)
    try:
        deployment.start()
        deployment.wait_for_dags(DAGS)
        yield deployment
    finally:
        deployment.stop()
