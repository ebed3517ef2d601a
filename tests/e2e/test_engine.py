"""The warm JavaScript engine under a real scheduler: a run inside an engine that is killed is lost, not
failed, and Airflow starts it again ([openfn] lost_run_retries); a run over its memory limit is the job's
own failure, its fail job runs, and nothing is retried as lost."""

from __future__ import annotations

import os
import signal
import tempfile

import psutil
import pytest

from openfn.node.engine import socket_path
from tests.e2e.conftest import task_log, trigger
from tests.support.airflow_env import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def engine_process() -> psutil.Process | None:
    """The deployment's engine: the one listening on this install's socket in the system's temporary folder
    (the engines of the unit tests listen in folders of their own)."""
    argument = f"--socket={socket_path(REPO / 'js', 'node')}"
    assert os.path.dirname(argument.split("=", 1)[1]) == tempfile.gettempdir()
    for process in psutil.process_iter(["cmdline"]):
        if argument in (process.info["cmdline"] or ()):
            return process
    return None


def try_number(airflow, dag_id: str, run_id: str) -> int:
    return airflow.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/run").json()["try_number"]


def attempt_log(airflow, dag_id: str, run_id: str, attempt: int) -> str:
    return "".join(p.read_text() for p in (airflow.home / "logs").rglob(f"attempt={attempt}.log") if f"dag_id={dag_id}" in str(p) and run_id in str(p))


def test_a_run_inside_an_engine_that_is_killed_is_started_again_and_succeeds(airflow):
    run_id = trigger(airflow, "engine.patient")

    def inside() -> int | None:  # the try whose run is in the engine now (a loaded machine may lose a try before)
        found = [p for p in (airflow.home / "logs").rglob("attempt=*.log") if "dag_id=engine.patient" in str(p) and run_id in str(p)]
        attempt = max((int(p.stem.split("=")[1]) for p in found), default=0)
        text = attempt_log(airflow, "engine.patient", run_id, attempt) if attempt else ""
        return attempt if "waiting inside the engine" in text and "Task failed" not in text else None

    attempt = airflow.wait_for(inside, "the run to be inside the engine", timeout=120, interval=0.2)
    engine = engine_process()
    assert engine is not None
    engine.send_signal(signal.SIGKILL)
    run = airflow.wait_for_run_state("engine.patient", run_id)
    assert run["state"] == "success", task_log(airflow, "engine.patient", run_id)[-4000:]
    assert try_number(airflow, "engine.patient", run_id) == attempt + 1  # the lost try, then one in a new engine
    assert "the JavaScript engine stopped while it ran" in attempt_log(airflow, "engine.patient", run_id, attempt)
    assert "waiting inside the engine" in attempt_log(airflow, "engine.patient", run_id, attempt + 1)
    assert engine_process().pid != engine.pid


def test_a_run_over_its_memory_limit_fails_as_the_job_and_its_fail_job_runs(airflow):
    run_id = trigger(airflow, "engine.hog")
    assert airflow.wait_for_run_state("engine.hog", run_id)["state"] == "failed"
    assert try_number(airflow, "engine.hog", run_id) == 1  # the job's own failure: not retried as lost
    log = task_log(airflow, "engine.hog", run_id)
    assert "MemoryLimitExceeded: the run used more than its memory limit of 64 MB and was stopped" in log

    def fail_run():
        runs = airflow.api("GET", "/api/v2/dags/engine.hog-failed/dagRuns").json()["dag_runs"]
        return next((r for r in runs if r["state"] in ("success", "failed")), None)

    fail = airflow.wait_for(fail_run, "the fail job's run", timeout=120)
    assert fail["state"] == "success"
    errors = fail["conf"]["state"]["errors"]["hog"]
    assert errors["type"] == "MemoryLimitExceeded"
    assert fail["conf"]["state"]["data"] == {}  # the state the step started from: the run was stopped
