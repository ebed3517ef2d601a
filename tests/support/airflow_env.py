"""A private Airflow home for the test session, configured before anything imports Airflow.

tests/conftest.py calls ``configure()`` at import time: Airflow reads its configuration once, when it is
first imported, so the environment must be in place before any test module imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.deploy import common_settings

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def base_env(home: Path, jobs_dir: Path | None = None) -> dict[str, str]:
    """Settings shared by in-process tests and by Airflow components started as subprocesses."""
    return {
        **common_settings(),  # deploy/airflow.env, as every deployment
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__OPENFN__JOBS_DIR": str(jobs_dir or REPO / "include" / "jobs"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }


IN_PROCESS_ONLY = "AIRFLOW__OPENFN__MAX_QUEUED_RUNS"


def configure() -> Path:
    """Point this process at a fresh Airflow home (SQLite) and return it."""
    home = Path(tempfile.mkdtemp(prefix="openfn-test-airflow-"))
    os.environ.update(base_env(home))
    # No scheduler starts the queued DAG runs of in-process tests: they pile up in the session's database,
    # and the dispatcher's admission (max_queued_runs) would hold bulk runs once other tests left enough.
    # Tests of the admission set their own limit; deployments (airflow_server.py) keep the default.
    os.environ[IN_PROCESS_ONLY] = "0"
    plugins = str(REPO / "plugins")
    if plugins not in sys.path:
        sys.path.insert(0, plugins)
    return home


def migrate_in_process() -> None:
    """``airflow db migrate`` of this process's own metadata database, without a new Airflow process (which
    costs seconds of imports): the same call the command makes, with the providers' configuration loaded."""
    from airflow.utils import db
    from airflow.utils.providers_configuration_loader import providers_configuration_loaded

    providers_configuration_loaded(db.upgradedb)()


def migrate(env: dict[str, str] | None = None) -> None:
    """``airflow db migrate`` in a subprocess (so this process's Airflow settings stay untouched)."""
    subprocess.run(
        [str(VENV_BIN / "airflow"), "db", "migrate"],
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        timeout=300,
    )
