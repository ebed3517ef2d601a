"""Printed by `make run` once Airflow answers: where the UI is, how to log in, what each project offers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from openfn.settings import get_settings  # noqa: E402
from openfn.readers import load_projects  # noqa: E402
from openfn.readers.report import grouped  # noqa: E402


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
            language = "JavaScript" if job.language == "javascript" else "Python"
            print(f"  DAG {job.dag_id:40} trigger: {job.trigger.kind:8} {language}")
        for workflow in project.workflows.values():
            kinds = ", ".join(sorted({t.kind for t in workflow.triggers.values()})) or "none"
            print(f"  DAG {workflow.dag_id:40} workflow: {len(workflow.steps)} steps, triggers: {kinds}")
        for line in grouped(project.problems):  # one line per missing adaptor version, not one per step
            print(f"  CANNOT RUN: {line}")
        for warning in project.warnings:
            print(f"  NOTE: {warning}")
        print_inbox(project, base)
    for error in report.errors:
        print(f"\nBROKEN PROJECT: {error}")
    print("=" * 78 + "\n", flush=True)


# --- Inbox: each project's inbox URL and a ready curl line (SPEC §6) ------------------------------------------
def print_inbox(project, base: str) -> None:
    """The project's inbox URL (its token is generated on first use) and a curl line that starts a run."""
    import shlex

    from openfn.inbox.catalog import inbox_project
    from openfn.matching import dumps_exact
    from openfn.inbox.store.tokens import ensure_token

    from openfn.inbox.urls import configured_base

    try:
        url = f"{configured_base() or base.rstrip('/')}/openfn/inbox/{ensure_token(project.name)}"
    except Exception as error:  # Airflow's database not reachable: say so, keep printing the rest
        print(f"  inbox: unavailable ({type(error).__name__}: {error})")
        return
    print(f"  inbox: {url}")
    starters = [job for job in project.message_jobs() if job.autoprocess and job.enabled]
    example = example_body(project.folder / "example.json", starters[0].trigger.inclusion if starters else {})
    body = dumps_exact(example)
    started = ", ".join(job.key for job in inbox_project(project).matching_jobs(example))
    auth = ""
    if "api_key" in project.inbox.auth:
        auth = f" -H \"x-api-key: $(airflow variables get {project.inbox.api_key_variable})\""
    elif "basic" in project.inbox.auth:
        auth = f" -u LOGIN:PASSWORD  # of Airflow Connection {project.inbox.basic_conn_id}"
    comment = f"  # starts: {started}" if started and "#" not in auth else ""
    print(f"  curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' -d {shlex.quote(body)}{auth}{comment}")
    for job in starters:
        if getattr(job.trigger, "reply", None) == "after_completion":
            print(f"  curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' -d {shlex.quote(dumps_exact(job.trigger.inclusion))}{auth}"
                  f"{'' if '#' in auth else f'  # answers with the result of {job.key}'}")
    for name, hook in inbox_project(project).webhooks.items():
        hook_url = f"{configured_base() or base.rstrip('/')}/openfn/inbox/{ensure_token(name)}"
        state = ("" if hook.trigger.enabled else " (disabled)") + (" (answers with the result)" if hook.trigger.reply == "after_completion" else "")
        body = dumps_exact(example_body(project.folder / f"example.{hook.workflow.key}.json", {}))
        print(f"  workflow {hook.workflow.key} webhook{state}: curl -X POST {shlex.quote(hook_url)} -H 'Content-Type: application/json' -d {shlex.quote(body)}{auth}")


def example_body(file: Path, default):
    """A project's example message (``example.json``, or ``example.<workflow>.json`` for a workflow's
    webhook) when it has one: a body that runs the main path, not only the filter's minimum."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
# --- end inbox ------------------------------------------------------------------------------------------------


if __name__ == "__main__":
    main()
