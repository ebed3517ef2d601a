"""The OpenFn CLI's project files (portability 4.0): ``workflows`` as a list, each a list of ``steps``
(triggers have a ``type``) whose ``next`` names the steps that follow. Read from one project file, or
from the expanded folder the CLI checks out (``openfn.yaml``, ``workflows/<id>/<id>.yaml`` with a ``.js``
file per step, and ``.projects/*.yaml`` holding the trigger settings the workflow files leave out).
Only reads into the raw shapes of _workflows.py, which checks and types them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openfn.readers._lightning import attributed
from openfn.readers._reader import Reader
from openfn.readers._workflows import RawEdge, RawStep, RawTrigger, RawWorkflow

TRIGGER_TYPES = ("webhook", "cron", "kafka")
# Where a trigger setting may be written: at the step, or in its `openfn:` block (Lightning's drafts).
SETTINGS = {"cron": ("cron_expression", "cron"), "cursor": ("cron_cursor_job", "cron_cursor", "cron_cursor_job_id"),
            "reply": ("webhook_reply",), "response": ("webhook_response_config",)}  # fmt: skip


def is_portability(top: dict) -> bool:
    """The CLI's files list workflows of ``steps``; Lightning's project state lists workflows of ``jobs``."""
    workflows = top.get("workflows")
    if not isinstance(workflows, list):
        return False
    return not any(isinstance(w, dict) and ("jobs" in w or "edges" in w) and "steps" not in w for w in workflows)


def read_workflows(reader: Reader, top: dict, base: Path, settings: dict[tuple[str, str], dict] | None = None) -> list[RawWorkflow]:
    workflows = []
    for index, body in enumerate(top.get("workflows") or []):
        where = f"workflows[{index}]"
        key = str(body.get("id") or body.get("name") or index) if isinstance(body, dict) else str(index)
        workflows.append(attributed(reader, RawWorkflow(where=where, key=key, name=key), lambda: read_workflow(reader, body, where, base, settings or {})))
    return workflows


def read_workflow(reader: Reader, raw: Any, where: str, base: Path, settings: dict[tuple[str, str], dict]) -> RawWorkflow:
    body = reader.mapping(raw, where, fix="give the workflow an `id` and its `steps`.")
    key = str(body.get("id") or body.get("name") or "")
    workflow = RawWorkflow(where=where, key=key, name=str(body.get("name") or key))
    steps = body.get("steps") or []
    if not isinstance(steps, list):
        raise reader.error(f"{where}.steps", "must be a list of steps", fix="write `steps:` as a list of `- id: ...` entries.")
    for index, step in enumerate(steps):
        step_where = f"{where}.steps[{index}]"
        with reader.guard():
            step = reader.mapping(step, step_where, fix="give the step an `id`.")
            _step(reader, workflow, step, step_where, base, settings.get((key, str(step.get("id"))), {}))
    return workflow


def _setting(step: dict, saved: dict, name: str) -> Any:
    for field in SETTINGS[name]:
        for source in (step, step.get("openfn") or {}, saved, saved.get("openfn") or {}):
            if isinstance(source, dict) and source.get(field) not in (None, ""):
                return source[field]
    return None


def _step(reader: Reader, workflow: RawWorkflow, step: dict, where: str, base: Path, saved: dict) -> None:
    key = str(step.get("id") or step.get("name") or "")
    if step.get("type") in TRIGGER_TYPES or (step.get("type") and "expression" not in step):
        workflow.triggers.append(RawTrigger(
            where=where, key=key, type=step.get("type"), enabled=step.get("enabled", saved.get("enabled")),
            cron=_setting(step, saved, "cron"), cursor=_setting(step, saved, "cursor"),
            reply=_setting(step, saved, "reply"), response=_setting(step, saved, "response"),
        ))  # fmt: skip
    else:
        adaptors = step.get("adaptors")
        adaptor = step.get("adaptor") or (adaptors[0] if isinstance(adaptors, list) and adaptors else None)
        workflow.steps.append(RawStep(
            where=where, key=key, name=str(step.get("name") or key), adaptor=adaptor, body=step.get("expression"),
            base=base, credential=step.get("configuration"),
        ))  # fmt: skip
    for target, edge in _next(step.get("next")).items():
        edge_where = f"{where}.next.{target}"
        if isinstance(edge, dict):
            workflow.edges.append(RawEdge(
                where=edge_where, source=key, from_trigger=key in {t.key for t in workflow.triggers}, target=target,
                condition=edge.get("condition", True), label=edge.get("label"), enabled=not edge.get("disabled", False),
            ))  # fmt: skip
        else:
            workflow.edges.append(RawEdge(where=edge_where, source=key, from_trigger=key in {t.key for t in workflow.triggers},
                                          target=target, condition=edge))  # fmt: skip


def _next(value: Any) -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        return {value: True}
    if isinstance(value, list):
        return {str(target): True for target in value}
    return {str(target): edge for target, edge in dict(value).items()}
