"""``openfn-airflow export <folder> [--format lightning|portability] [--out <file>]`` (``make export``): writes a Lightning project
loaded here back in Lightning's own formats, so that it can be imported into Lightning again.

``lightning`` (default) is Lightning's ``project.yaml`` export: workflows, jobs and credentials keyed by
name with spaces made ``-`` (Lightning's own rule), triggers keyed by type, edges ``<source>-><target>``.
``portability`` is the CLI's portability 4.0 project file. Job code kept in files is written inline.
Credentials are written as Lightning exports them (name and owner, never values).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from openfn.readers import load_project
from openfn.model.project import Project
from openfn.model.workflow import Edge, Step, Workflow


def hyphenate(name: str) -> str:
    """Lightning's key for a name: every space becomes '-'."""
    return name.replace(" ", "-")


def _adaptor(step: Step) -> str:
    return f"@openfn/language-{step.adaptor}" + (f"@{step.adaptor_version}" if step.adaptor_version else "")


def _body(step: Step) -> str:
    if step.language == "python":  # Python is not Lightning's: the file stays next to the project file, named
        return step.expression_file.name
    return step.expression if step.expression is not None else step.expression_file.read_text(encoding="utf-8")


def _credential_key(step: Step) -> str | None:
    return step.credential.key if step.credential else None


def _trigger_fields(trigger) -> dict:
    if trigger.kind == "webhook":
        fields: dict[str, Any] = {"type": "webhook", "enabled": trigger.enabled}
        if trigger.reply != "before_start":
            fields["webhook_reply"] = trigger.reply
            codes = {"success_code": trigger.success_code, "error_code": trigger.error_code}
            if any(codes.values()):
                fields["webhook_response_config"] = {key: value for key, value in codes.items() if value is not None}
        return fields
    return {"type": "cron", "cron_expression": trigger.cron, "enabled": trigger.enabled}


def _edge_fields(edge: Edge, names: dict[str, str]) -> dict:
    fields: dict[str, Any] = {("source_trigger" if edge.from_trigger else "source_job"): names.get(edge.source, edge.source),
                              "target_job": names[edge.target], "condition_type": edge.condition}  # fmt: skip
    if edge.condition == "js_expression":
        fields["condition_label"] = edge.label or ""
        fields["condition_expression"] = edge.expression
    fields["enabled"] = edge.enabled
    return fields


def lightning_workflow(workflow: Workflow) -> dict:
    names = {key: step.source_key or hyphenate(step.name) for key, step in workflow.steps.items()}
    jobs = {names[key]: {"name": step.name, "adaptor": _adaptor(step), "credential": _credential_key(step), "body": _body(step)}
            for key, step in workflow.steps.items()}  # fmt: skip
    triggers = {}
    for trigger in workflow.triggers.values():
        fields = _trigger_fields(trigger)
        if trigger.kind == "cron" and trigger.cursor_step:
            fields["cron_cursor_job"] = names[trigger.cursor_step]
        triggers[trigger.key] = fields
    edges = {}
    for edge in workflow.edges:
        key = base = f"{names.get(edge.source, edge.source)}->{names[edge.target]}"
        number = 1
        while key in edges:  # two edges wanting one key: -2, -3, ... as Lightning does
            number += 1
            key = f"{base}-{number}"
        edges[key] = _edge_fields(edge, names)
    settings = {"concurrency": workflow.concurrency} if workflow.concurrency else {}
    if not workflow.job_logs:
        settings["enable_job_logs"] = False
    return {"name": workflow.name, **settings, "jobs": jobs, "triggers": triggers, "edges": edges}


def lightning_project(project: Project) -> dict:
    credentials = {key: {"name": c.name or key, "owner": c.owner} for key, c in project.credentials.items()}
    return {
        "name": project.title or project.name,
        "description": project.description,
        "credentials": credentials or None,
        **({"collections": {name: {"name": name} for name in project.collections}} if project.collections else {}),
        "workflows": {workflow.source_key or hyphenate(workflow.name): lightning_workflow(workflow) for workflow in project.workflows.values()},
    }


def portability_project(project: Project) -> dict:
    workflows = []
    for workflow in project.workflows.values():
        steps = []
        for trigger in workflow.triggers.values():
            step = {"id": trigger.key, **_trigger_fields(trigger)}
            if trigger.kind == "cron" and trigger.cursor_step:
                step["cron_cursor_job"] = workflow.steps[trigger.cursor_step].source_key or trigger.cursor_step
            steps.append(step)
        ids = {key: job.source_key or key for key, job in workflow.steps.items()}
        for key, job in workflow.steps.items():
            step = {"id": ids[key], "name": job.name, "adaptor": _adaptor(job), "expression": _body(job)}
            if job.credential:
                step["configuration"] = f"{job.credential.owner}|{job.credential.name}" if job.credential.owner and job.credential.name else job.credential.key
            steps.append(step)
        by_id = {step["id"]: step for step in steps}
        for edge in workflow.edges:
            condition = edge.expression if edge.condition == "js_expression" else edge.condition
            value = {"condition": condition, "disabled": not edge.enabled, **({"label": edge.label} if edge.label else {})}
            source = edge.source if edge.from_trigger else ids[edge.source]
            by_id[source].setdefault("next", {})[ids[edge.target]] = value
        start = next(iter(workflow.triggers), None)
        workflows.append({"id": workflow.source_key or workflow.key, "name": workflow.name, **({"start": start} if start else {}), "steps": steps})
    credentials = [{"name": c.name or key, "owner": c.owner} for key, c in project.credentials.items()]
    return {"id": project.name, "name": project.title or project.name, "schema_version": "4.0",
            **({"description": project.description} if project.description else {}),
            **({"credentials": credentials} if credentials else {}),
            **({"collections": [{"name": name} for name in project.collections]} if project.collections else {}),
            "workflows": workflows}  # fmt: skip


class _Dumper(yaml.SafeDumper):
    pass


def _string(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def export(folder: Path, fmt: str = "lightning") -> str:
    project = load_project(folder)
    if project.kind != "lightning":
        raise SystemExit(f"{folder}: a v1 project (jobs and triggers), not a Lightning one: there is nothing of Lightning's to write back.")
    return dump(lightning_project(project) if fmt == "lightning" else portability_project(project))


def main(argv: list[str] | None = None, prog: str = "openfn-airflow export") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, help="the project folder, e.g. include/jobs/referrals")
    parser.add_argument("--format", choices=("lightning", "portability"), default="lightning")
    parser.add_argument("--out", type=Path, help="write here (default: standard output)")
    args = parser.parse_args(argv)
    text = export(args.project, args.format)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"Wrote {args.out} ({args.format} format)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
