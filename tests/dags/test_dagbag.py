"""The DAG files as Airflow's DagBag imports them: every project loads; a broken one is reported."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.dags.conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow  # each test imports Airflow and the DAG files in a new interpreter

DEMO_DAGS = ["demo.confirm-registration", "demo.issue-patient-id", "demo.referral-workflow", "demo.register-patient", "demo.registration-failed", "demo.share-record", "demo.weekly-export"]
# The adaptor examples (include/jobs/referrals, include/jobs/dhis2-export; run in tests/dags/test_example_jobs.py).
EXAMPLE_DAGS = ["dhis2-export.publish-export", "dhis2-export.weekly-export", "referrals.notify-failure", "referrals.register-referral",
                # The JavaScript examples: a v1 export (include/jobs/form-sync), a Lightning export (include/jobs/case-intake).
                "form-sync.register-case", "form-sync.prepare-registry-update", "form-sync.registration-failed", "form-sync.hourly-count",
                "case-intake.Referral-Intake", "case-intake.Nightly-Count"]
# dags/openfn_inbox_example.py: hand-written DAGs on the demo project (built wherever the demo project is).
NATIVE_DAGS = ["openfn_example_lab_result", "openfn_example_lab_result_wait"]

CHECK = textwrap.dedent("""
    import json, sys
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(sys.argv[1])
    errors = {path.rsplit("/", 1)[-1]: error for path, error in bag.import_errors.items()}
    tasks = {dag_id: sorted(dag.task_ids) for dag_id, dag in bag.dags.items()}
    print(json.dumps({"dags": sorted(bag.dag_ids), "errors": errors, "tasks": tasks}))
""")


def dagbag(jobs_dir, **env) -> dict:
    """Import dags/ in a fresh interpreter, as the DAG processor does, with the given jobs dir."""
    import json
    import os

    result = subprocess.run(
        [sys.executable, "-c", CHECK, str(REPO / "dags")],
        env={**os.environ, "AIRFLOW__OPENFN__JOBS_DIR": str(jobs_dir), **env},
        capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stdout + result.stderr


def test_repository_projects_import_without_errors():
    found, _ = dagbag(REPO / "include" / "jobs")
    assert (found["dags"], found["errors"]) == (sorted(DEMO_DAGS + EXAMPLE_DAGS + NATIVE_DAGS), {})


def test_broken_project_is_an_import_error_and_the_others_still_load(tmp_path):
    shutil.copytree(REPO / "include" / "jobs" / "demo", tmp_path / "demo")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "project.yaml").write_text("jobs: {a: {expression: job.py, trigger: missing}}\ntriggers: {}\n")
    (broken / "job.py").write_text("operations = []\n")
    found, output = dagbag(tmp_path)
    assert found["dags"] == sorted(DEMO_DAGS + NATIVE_DAGS)
    assert list(found["errors"]) == ["openfn_project_errors.py"]
    message = f"{broken / 'project.yaml'}: jobs.a.trigger: names an unknown trigger (got 'missing'). Fix: define the trigger first."
    assert f"ProjectLoadErrors: 1 OpenFn project(s) could not be loaded (every other project loaded):\n- {message}" in found["errors"]["openfn_project_errors.py"]
    assert f"[error    ] {message}" in output  # logged at ERROR level on every parse


def test_strict_mode_raises_the_first_error_for_the_whole_file(tmp_path):
    shutil.copytree(FIXTURES / "v1-export", tmp_path / "v1-export")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "project.yaml").write_text("jobs: [oops]\n")
    found, _ = dagbag(tmp_path, AIRFLOW__OPENFN__STRICT_MODE="True")
    assert found["dags"] == []
    assert sorted(found["errors"]) == ["openfn_project_errors.py", "openfn_projects.py"]
    assert "ProjectError: " in found["errors"]["openfn_projects.py"]


def test_task_start_builds_only_its_own_dag():
    found, _ = dagbag(REPO / "include" / "jobs", _AIRFLOW_PARSING_CONTEXT_DAG_ID="demo.weekly-export")
    assert found["dags"] == ["demo.weekly-export"]


def test_run_task_start_builds_only_the_run_task():
    found, _ = dagbag(REPO / "include" / "jobs", _AIRFLOW_PARSING_CONTEXT_DAG_ID="demo.register-patient", _AIRFLOW_PARSING_CONTEXT_TASK_ID="run")
    assert found["dags"] == ["demo.register-patient"]
    assert found["tasks"] == {"demo.register-patient": ["run"]}


def test_trigger_task_start_builds_the_whole_dag():
    found, _ = dagbag(REPO / "include" / "jobs", _AIRFLOW_PARSING_CONTEXT_DAG_ID="demo.register-patient", _AIRFLOW_PARSING_CONTEXT_TASK_ID="fail_registration-failed")
    assert found["tasks"] == {"demo.register-patient": ["fail_registration-failed", "flow_confirm-registration", "job_failed", "run"]}
