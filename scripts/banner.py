"""Printed by `make run` once Airflow answers: where the UI is, how to log in, what each project offers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from openfn.settings import get_settings  # noqa: E402
from openfn.spec import load_projects  # noqa: E402


def main() -> None:
    base = os.environ["AIRFLOW__API__BASE_URL"]
    passwords = Path(os.environ["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    login = json.loads(passwords.read_text()) if passwords.exists() else {}
    print("\n" + "=" * 78)
    print(f"OpenFn on Airflow is running: {base}")
    for user, password in login.items():
        print(f"  login: {user} / {password}")
    report = load_projects(get_settings().jobs_dir)
    for project in report.projects:
        print(f"\nProject {project.name} ({project.file})")
        for job in project.jobs.values():
            print(f"  DAG {job.dag_id:40} trigger: {job.trigger.kind}")
    for error in report.errors:
        print(f"\nBROKEN PROJECT: {error}")
    print("=" * 78 + "\n", flush=True)


if __name__ == "__main__":
    main()
