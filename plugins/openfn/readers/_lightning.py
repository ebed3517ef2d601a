"""Lightning's ``project.yaml`` export: ``workflows`` keyed by name, each with ``jobs``, ``triggers`` (keyed
by type) and ``edges`` (``source_trigger``/``source_job`` -> ``target_job``, ``condition_type``, ...).
Only reads the file into the raw shapes of _workflows.py, which checks and types them."""

from __future__ import annotations

from typing import Any

from openfn.readers._reader import Reader
from openfn.readers._workflows import RawEdge, RawStep, RawTrigger, RawWorkflow

TOP_KEYS = ("name", "description", "collections", "channels", "credentials", "globals", "workflows", "id")
WORKFLOW_KEYS = ("name", "jobs", "triggers", "edges", "id", "concurrency", "enable_job_logs", "globals")
JOB_KEYS = ("name", "adaptor", "credential", "body", "globals", "id", "project_credential_id", "keychain_credential_id",
            "memory_limit_mb")  # memory_limit_mb: ours (a JavaScript run's memory limit)
TRIGGER_KEYS = ("type", "enabled", "cron_expression", "cron_cursor_job", "webhook_reply", "webhook_response_config",
                "kafka_configuration", "custom_path", "id")  # fmt: skip
EDGE_KEYS = ("source_trigger", "source_job", "target_job", "condition_type", "condition_label", "condition_expression",
             "condition", "enabled", "id")  # fmt: skip


def read_workflows(reader: Reader, top: dict) -> list[RawWorkflow]:
    section = reader.mapping(top.get("workflows"), "workflows", fix="list workflows as `workflow-key: {name, jobs, triggers, edges}`.")
    workflows = []
    for key, body in section.items():
        where = f"workflows.{key}"
        with reader.guard():
            workflows.append(_workflow(reader, str(key), body, where))
    return workflows


def _entries(reader: Reader, body: dict, name: str, where: str) -> dict:
    return reader.mapping(body.get(name), f"{where}.{name}", fix=f"write `{name}:` as a mapping of keys to entries.")


def _workflow(reader: Reader, key: str, raw: Any, where: str) -> RawWorkflow:
    body = reader.mapping(raw, where, fix="give the workflow `jobs`, `triggers` and `edges`.")
    reader.check_keys(body, where, WORKFLOW_KEYS)
    workflow = RawWorkflow(where=where, key=key, name=str(body.get("name") or key))
    for job_key, job in _entries(reader, body, "jobs", where).items():
        job_where = f"{where}.jobs.{job_key}"
        with reader.guard():
            job = reader.mapping(job, job_where, fix="give the job `adaptor` and `body`.")
            reader.check_keys(job, job_where, JOB_KEYS)
            workflow.steps.append(RawStep(
                where=job_where, key=str(job_key), name=str(job.get("name") or job_key), adaptor=job.get("adaptor"),
                body=job.get("body"), base=reader.file.parent, credential=job.get("credential"),
                memory_limit_mb=job.get("memory_limit_mb"),
            ))  # fmt: skip
    for trigger_key, trigger in _entries(reader, body, "triggers", where).items():
        trigger_where = f"{where}.triggers.{trigger_key}"
        with reader.guard():
            trigger = reader.mapping(trigger, trigger_where, fix="give the trigger a `type` (webhook or cron).")
            reader.check_keys(trigger, trigger_where, TRIGGER_KEYS)
            workflow.triggers.append(RawTrigger(
                where=trigger_where, key=str(trigger_key), type=trigger.get("type", trigger_key), enabled=trigger.get("enabled"),
                cron=trigger.get("cron_expression"), cursor=trigger.get("cron_cursor_job"), reply=trigger.get("webhook_reply"),
                response=trigger.get("webhook_response_config"),
            ))  # fmt: skip
    for edge_key, edge in _entries(reader, body, "edges", where).items():
        edge_where = f"{where}.edges.{edge_key}"
        with reader.guard():
            workflow.edges.append(_edge(reader, edge, edge_where))
    return workflow


def _edge(reader: Reader, raw: Any, where: str) -> RawEdge:
    edge = reader.mapping(raw, where, fix="give the edge a source (`source_job` or `source_trigger`) and a `target_job`.")
    reader.check_keys(edge, where, EDGE_KEYS)
    sources = [name for name in ("source_trigger", "source_job") if edge.get(name) not in (None, "")]
    if len(sources) != 1:
        raise reader.error(where, "must have exactly one of source_trigger and source_job", fix="name where the edge starts.")
    return RawEdge(
        where=where, source=str(edge[sources[0]]), from_trigger=sources[0] == "source_trigger", target=edge.get("target_job"),
        condition=edge.get("condition_type", edge.get("condition")), expression=edge.get("condition_expression"),
        label=edge.get("condition_label"), enabled=edge.get("enabled"), typed="condition_type" in edge,
    )  # fmt: skip
