"""The checkout's own scripts. `make run`'s, on a fresh checkout and on one already run: scripts/env.sh
chooses the one Fernet key every local command shares, and scripts/banner.py (printed once Airflow answers)
lists every project of include/jobs with its DAGs, its inbox URL and a curl line that starts its jobs. And
no script of bench/ or scripts/ hides a standard library module from the others."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess

import pytest
from cryptography.fernet import Fernet

from tests.support.airflow_env import REPO


def sourced(home, **env: str) -> str:
    """AIRFLOW__CORE__FERNET_KEY after sourcing scripts/env.sh with this Airflow home (and environment)."""
    environ = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__FERNET_KEY"} | {"AIRFLOW_HOME": str(home)} | env
    script = f"set -euo pipefail; source {shlex.quote(str(REPO / 'scripts' / 'env.sh'))}; printf %s \"$AIRFLOW__CORE__FERNET_KEY\""
    done = subprocess.run(["bash", "-c", script], env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_fresh_home_gets_a_new_key_kept_for_the_owner_only_and_used_again(tmp_path):
    home = tmp_path / "home"  # not there yet, as on a fresh checkout
    key = sourced(home)
    Fernet(key.encode())  # a valid key
    kept = home / "fernet.key"
    assert kept.read_text() == key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert sourced(home) == key  # the next command (make credentials, the next make run) shares it


def test_a_home_whose_airflow_cfg_holds_a_key_keeps_that_key(tmp_path):
    old = Fernet.generate_key().decode()
    (tmp_path / "airflow.cfg").write_text(f"[core]\ndags_folder = /x\nfernet_key = {old}\n")
    assert sourced(tmp_path) == old
    assert (tmp_path / "fernet.key").read_text() == old


def test_a_key_from_the_environment_wins_and_nothing_is_written(tmp_path):
    mine = Fernet.generate_key().decode()
    assert sourced(tmp_path, AIRFLOW__CORE__FERNET_KEY=mine) == mine
    assert not (tmp_path / "fernet.key").exists()


@pytest.mark.slow  # a process that imports Airflow
def test_the_banner_lists_every_project_its_dags_and_an_inbox_curl_line(airflow_db, tmp_path):
    from openfn.inbox.store.tokens import ensure_token
    from openfn.readers import load_projects

    home = tmp_path / "home"  # the metadata database stays the session's (named in the environment)
    home.mkdir()
    (home / "simple_auth_manager_passwords.json.generated").write_text(json.dumps({"admin": "s3cret"}))
    env = os.environ | {"AIRFLOW__API__BASE_URL": "http://localhost:8765", "AIRFLOW_HOME": str(home),
                        "AIRFLOW__OPENFN__JOBS_DIR": str(REPO / "include" / "jobs")}
    env.pop("PYTHONPATH", None)  # as run.sh calls it: from the checkout, the plugins folder not on the path
    done = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "scripts/banner.py"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "OpenFn on Airflow is running: http://localhost:8765" in out
    assert "login: admin / s3cret" in out
    report = load_projects(REPO / "include" / "jobs")
    assert report.projects and not report.errors
    assert "BROKEN PROJECT" not in out and "inbox: unavailable" not in out
    blocks = {block.split(" ", 1)[0]: block for block in out.split("\nProject ")[1:]}
    assert sorted(blocks) == sorted(p.name for p in report.projects)
    for project in report.projects:
        block = blocks[project.name]
        for job in project.jobs.values():
            assert f"DAG {job.dag_id}" in block
        for workflow in project.workflows.values():
            assert f"DAG {workflow.dag_id}" in block
        assert f"inbox: http://localhost:8765/openfn/inbox/{ensure_token(project.name)}" in block
        curl = [line for line in block.splitlines() if line.strip().startswith("curl -X POST")]
        assert curl, block
        for line in curl:  # each body is the JSON it claims to send
            words = shlex.split(line.split("  #")[0])
            json.loads(words[words.index("-d") + 1])


@pytest.mark.parametrize("folder", ["bench", "scripts"])
def test_no_script_hides_a_standard_library_module(folder):
    """`python bench/x.py` puts bench/ first on sys.path: a file there named like a standard library module
    (bench/collections.py did) is imported in its place, by every script of the folder."""
    import sys

    assert not [p.name for p in (REPO / folder).glob("*.py") if p.stem in sys.stdlib_module_names]
