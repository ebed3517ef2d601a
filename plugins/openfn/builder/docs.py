"""The ``doc_md`` of each DAG: what a user reads on the DAG's page in Airflow's UI."""

from __future__ import annotations

from openfn.runs import RESULT_TASK


def job_doc(project, job) -> str:
    trigger = job.trigger
    detail = {
        "message": lambda: f"message filter `{trigger.key}`: inclusion `{trigger.inclusion}`, exclusion `{trigger.exclusion}`",
        "cron": lambda: f"cron `{trigger.cron}` ({trigger.timezone}); state carried in Variable `openfn.state.{job.dag_id}`",
        "flow": lambda: f"flow: runs after `{trigger.upstream}` succeeds",
        "fail": lambda: f"fail: runs after `{trigger.upstream}` fails",
    }[trigger.kind]()
    source = job.expression_file.name if job.expression_file else "inline JavaScript"
    adaptor = f"{job.adaptor_package}@{job.adaptor_installed}" if job.adaptor_installed else job.adaptor
    problem = f"\n**This job cannot run:** {job.problem}\n" if job.problem else ""
    return (
        f"**OpenFn job** `{job.key}` of project `{project.name}` ({project.file})\n\n"
        f"- Trigger: {detail}\n- Expression: `{source}` ({job.language}), adaptor `{adaptor}`; timeout {job.timeout:g} s\n"
        f"- Credential: `{job.credential.conn_id if job.credential else 'none'}`; autoprocess: {job.autoprocess}; enabled: {job.enabled}\n"
        f"{problem}"
    )


def _trigger(trigger) -> str:
    state = "enabled" if trigger.enabled else "disabled"
    if trigger.kind == "webhook":
        return f"`{trigger.key}` (webhook, {state})"
    cursor = f", cursor: step `{trigger.cursor_step}`" if trigger.cursor_step else ""
    return f"`{trigger.key}` (cron `{trigger.cron}`, {state}{cursor})"


def workflow_doc(project, workflow) -> str:
    triggers = ", ".join(_trigger(t) for t in workflow.triggers.values()) or "none"
    problems = "".join(f"\n- **Cannot run:** step `{s.key}`: {s.problem}" for s in workflow.steps.values() if s.problem)
    return (
        f"**OpenFn Lightning workflow** `{workflow.name}` of project `{project.title or project.name}` ({project.file})\n\n"
        f"- Triggers: {triggers}\n- Steps: {', '.join(f'`{key}`' for key in workflow.steps)}; the task `{RESULT_TASK}` "
        f"decides the run's outcome as Lightning does{problems}\n"
    )
