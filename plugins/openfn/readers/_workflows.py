"""Lightning workflows, from what either reader found (_lightning.py: Lightning's project.yaml export;
_portability.py: the CLI's portability 4.0 files) to the typed model: Airflow ids for every key, every
reference checked, cycles refused. Both readers hand over the same raw shapes, so every rule lives here."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openfn.errors import ProjectError
from openfn.readers._credentials import conn_id_for
from openfn.readers._cycles import find_cycle
from openfn.readers._cache import compiles
from openfn.readers._jobs import FILE_PREFIX, _adaptor, memory_limit
from openfn.readers._names import airflow_id
from openfn.readers._reader import Reader
from openfn.readers._triggers import parse_cron, reply_mode, response_codes
from openfn.model.project import CronTrigger, Credential
from openfn.model.workflow import CONDITIONS, Edge, Step, WebhookTrigger, Workflow

RESERVED_TASKS = ("openfn_result",)  # the task that decides the run's outcome (builder/graph.py)
REPLIES = ("before_start", "after_completion", "custom")


@dataclass
class RawStep:
    where: str
    key: str
    name: str
    adaptor: Any
    body: Any  # inline source, or a path (str ending .js, or {path: ...}) relative to ``base``
    base: Path
    credential: Any = None
    memory_limit_mb: Any = None
    globals: str | None = None  # JavaScript whose exports the step's code can use (runtime's workflow.globals)
    problems: list[ProjectError] = field(default_factory=list)  # its entry's own errors: the step cannot run


@dataclass
class RawTrigger:
    where: str
    key: str
    type: Any
    enabled: Any = True
    cron: Any = None
    cursor: Any = None
    reply: Any = None
    response: Any = None


@dataclass
class RawEdge:
    where: str
    source: str
    from_trigger: bool
    target: Any
    condition: Any
    expression: Any = None
    label: Any = None
    enabled: Any = True
    typed: bool = False  # Lightning's condition_type: one of CONDITIONS (the CLI's `condition` may be JavaScript)


@dataclass
class RawWorkflow:
    where: str
    key: str
    name: str
    steps: list[RawStep] = field(default_factory=list)
    triggers: list[RawTrigger] = field(default_factory=list)
    edges: list[RawEdge] = field(default_factory=list)
    concurrency: int | None = None
    job_logs: bool = True
    errors: list[ProjectError] = field(default_factory=list)  # found while reading it: it is left out


def build_workflows(reader: Reader, project: str, raws: list[RawWorkflow], credentials: dict[str, Credential], *, timeout: float) -> tuple[dict[str, Workflow], list[ProjectError]]:
    """The workflows and the problems that stop some of them (or some of their steps).

    What is wrong stops only what it belongs to: a step's own error (its body, adaptor, credential) stops that
    step, whose runs fail at once saying why; an error of a trigger, an edge or the workflow's shape (which
    no DAG can be drawn without) leaves that workflow out, with a problem saying so. The others run."""
    workflows: dict[str, Workflow] = {}
    problems: list[ProjectError] = []
    seen: dict[str, str] = {}
    for raw in raws:
        before = len(reader.errors)
        with reader.guard():
            key = _id(reader, raw.key, raw.where, "workflow", seen)
            workflow = _workflow(reader, project, key, raw, credentials, timeout, problems)
        errors = raw.errors + reader.errors[before:]
        del reader.errors[before:]
        if errors:
            problems += errors
            problems.append(reader.error(raw.where, f"is not loaded: no DAG is made for it until the {len(errors)} error(s) above are corrected",
                                         fix="correct them; the project's other workflows load and run."))  # fmt: skip
            continue
        workflows[key] = workflow
    return workflows, problems


def _id(reader: Reader, key: str, where: str, kind: str, seen: dict[str, str]) -> str:
    mapped = airflow_id(str(key), kind)
    if mapped in seen:
        raise reader.error(where, f"maps to the Airflow id '{mapped}', like {seen[mapped]}", value=key, fix=f"rename one of the two {kind}s.")
    seen[mapped] = where
    return mapped


def _workflow(reader: Reader, project: str, key: str, raw: RawWorkflow, credentials: dict, timeout: float, problems: list) -> Workflow:
    step_ids: dict[str, str] = {}  # source key -> task id
    seen: dict[str, str] = {name: "a task of every workflow DAG" for name in RESERVED_TASKS}
    steps: dict[str, Step] = {}
    for raw_step in raw.steps:
        with reader.guard(f"{raw.where}.steps.{raw_step.key}"):
            step_ids[raw_step.key] = _id(reader, raw_step.key, raw_step.where, "step", seen)
            steps[step_ids[raw_step.key]] = _runnable_step(reader, project, key, step_ids[raw_step.key], raw, raw_step, credentials, timeout, problems)
    trigger_ids: dict[str, str] = {}
    triggers: dict = {}
    for raw_trigger in raw.triggers:
        with reader.guard():
            trigger = _trigger(reader, raw_trigger, step_ids, problems)
            if trigger is not None:
                trigger_ids[raw_trigger.key] = trigger.key
                triggers[trigger.key] = trigger
    edges, wheres = [], []
    for raw_edge in raw.edges:
        with reader.guard():
            edge = _edge(reader, raw_edge, step_ids, trigger_ids, {t.key for t in raw.triggers})
            if edge is not None:
                edges.append(edge)
                wheres.append(raw_edge.where)
    if not reader.errors:
        _check_cycles(reader, raw.where, edges)
        _check_python_edges(reader, steps, zip(wheres, edges))
    return Workflow(project=project, key=key, name=raw.name, steps=steps, triggers=triggers, edges=tuple(edges), source_key=raw.key,
                    concurrency=raw.concurrency, job_logs=raw.job_logs)  # fmt: skip


def _runnable_step(reader: Reader, project: str, workflow: str, key: str, raw_workflow: RawWorkflow, raw: RawStep, credentials: dict,
                   timeout: float, problems: list) -> Step:  # fmt: skip
    """The step, or (when its own entry is wrong) a step that cannot run: its task exists and fails at once,
    saying why, and the workflow's other steps run."""
    errors = list(raw.problems)
    if not errors:
        try:
            step = _step(reader, project, workflow, key, raw, credentials, timeout)
        except ProjectError as error:
            errors.append(error)
        else:
            return dataclasses.replace(step, job_logs=raw_workflow.job_logs, globals=raw.globals)
    problems += errors
    return Step(workflow=workflow, key=key, name=raw.name, adaptor="common", adaptor_version=None, expression="", where=raw.where,
                source_key=raw.key, project=project, timeout=timeout, problem=" ".join(str(error) for error in errors),
                job_logs=raw_workflow.job_logs)  # fmt: skip


def _step(reader: Reader, project: str, workflow: str, key: str, raw: RawStep, credentials: dict, timeout: float) -> Step:
    language, expression, expression_file = _body(reader, raw)
    adaptor, version = _adaptor(reader, raw.adaptor, f"{raw.where}.adaptor", language)
    credential = None
    if raw.credential not in (None, ""):
        name = str(raw.credential)
        credential = credentials.get(name)
        if credential is None and not credentials:  # a file with no credentials section (one workflow on its own)
            credential = Credential(key=name, conn_id=conn_id_for(name))
        if credential is None and f"credentials.{name}" in reader.broken:
            raise reader.error(f"{raw.where}.credential", "names a credential whose entry has an error (reported above)", value=name, fix=f"correct credentials.{name}.")
        if credential is None:
            known = ", ".join(sorted(credentials)) or "none is defined"
            raise reader.error(f"{raw.where}.credential", "names an unknown credential", value=name, fix=f"use one of: {known}.")
    return Step(
        workflow=workflow, key=key, name=raw.name, adaptor=adaptor, adaptor_version=version, expression=expression,
        expression_file=expression_file, credential=credential, timeout=timeout, where=raw.where, source_key=raw.key,
        language=language, project=project, memory_limit_mb=memory_limit(reader, raw.memory_limit_mb, f"{raw.where}.memory_limit_mb"),
    )  # fmt: skip


def _body(reader: Reader, raw: RawStep) -> tuple[str, str | None, Path | None]:
    """(language, inline source, file): inline code and .js files are JavaScript, a .py file is a Python step."""
    where = f"{raw.where}.body"
    path = raw.body.get("path") if isinstance(raw.body, dict) else None
    text = raw.body.strip() if isinstance(raw.body, str) else ""
    if path is None and "\n" not in text and text.removeprefix(FILE_PREFIX).endswith((".js", ".py")) and " " not in text:
        path = text  # the CLI's expanded form (`expression: ./step.js`), or a Python step (`body: register.py`)
    if path is None:
        if not isinstance(raw.body, str):
            raise reader.error(where, "must be the job's JavaScript, or {path: <file>.js}", fix="write the job's code there.")
        return "javascript", raw.body, None
    path = str(path).removeprefix(FILE_PREFIX)
    folder = os.path.realpath(reader.file.parent)
    file = Path(os.path.normpath(os.path.join(raw.base, path)))
    if not os.path.isfile(file):
        raise reader.error(where, "names a file that does not exist", value=path, fix=f"create {file} or fix the path.")
    if os.path.commonpath([os.path.realpath(file), folder]) != folder:
        raise reader.error(where, "points outside the project folder", value=path, fix="keep job files inside the project folder.")
    if file.suffix != ".py":
        return "javascript", None, file
    try:
        compiles(file)  # parsing only compiles the step; it is imported when its task runs
    except SyntaxError as exc:
        raise reader.error(where, f"has a Python syntax error at line {exc.lineno}: {exc.msg}", value=path, fix=f"correct {file.name} line {exc.lineno}.") from None
    return "python", None, file


def _trigger(reader: Reader, raw: RawTrigger, step_ids: dict[str, str], problems: list) -> WebhookTrigger | CronTrigger | None:
    key = airflow_id(str(raw.key or raw.type), "trigger")
    enabled = reader.boolean(raw.enabled, f"{raw.where}.enabled", True)
    if raw.type == "kafka":  # as Lightning 2.18.2 turned every Kafka trigger: a webhook, disabled
        reader.warn(raw.where, "is a Kafka trigger: Lightning no longer has them and turned each into a disabled webhook trigger; so is it here",
                    fix="enable the webhook (`type: webhook`, `enabled: true`) and point the Kafka consumer's sender at its URL, or remove the trigger.")  # fmt: skip
        return WebhookTrigger(key=key, enabled=False)
    if raw.type == "webhook":
        # Lightning reserves `custom` for a reply step it does not have yet: such a trigger answers at once there too.
        reply = reply_mode(reader, raw.reply, f"{raw.where}.webhook_reply", accepted=REPLIES)
        success_code, error_code = response_codes(reader, raw.response, f"{raw.where}.webhook_response_config")
        return WebhookTrigger(key=key, enabled=enabled, reply="after_completion" if reply == "after_completion" else "before_start",
                              success_code=success_code, error_code=error_code)  # fmt: skip
    if raw.type == "cron":
        cron = parse_cron(reader, raw.cron, f"{raw.where}.cron_expression")
        cursor = None
        if raw.cursor not in (None, ""):
            cursor = step_ids.get(str(raw.cursor))
            if cursor is None:
                raise reader.error(f"{raw.where}.cron_cursor_job", "names an unknown step", value=raw.cursor, fix=f"use one of: {', '.join(step_ids)}.")
        return CronTrigger(key=key, cron=cron, enabled=enabled, cursor_step=cursor)
    raise reader.error(f"{raw.where}.type", "is not a trigger type", value=raw.type, fix="write webhook or cron.")


def _edge(reader: Reader, raw: RawEdge, step_ids: dict, trigger_ids: dict, all_triggers: set) -> Edge | None:
    if raw.from_trigger and raw.source not in all_triggers:
        raise reader.error(raw.where, "starts at an unknown trigger", value=raw.source, fix=f"use one of: {', '.join(sorted(all_triggers)) or 'none is defined'}.")
    if not raw.from_trigger and raw.source not in step_ids:
        raise reader.error(raw.where, "starts at an unknown step", value=raw.source, fix=f"use one of: {', '.join(step_ids)}.")
    if str(raw.target) not in step_ids:
        raise reader.error(raw.where, "leads to an unknown step", value=raw.target, fix=f"use one of: {', '.join(step_ids)}.")
    condition, expression = _condition(reader, raw)
    if raw.from_trigger and raw.source not in trigger_ids:
        return None  # a trigger that is not run here (Kafka), or a broken one: reported there
    source = trigger_ids[raw.source] if raw.from_trigger else step_ids[raw.source]
    label = None if raw.label in (None, "") else str(raw.label)
    enabled = reader.boolean(raw.enabled, f"{raw.where}.enabled", True)
    return Edge(source=source, target=step_ids[str(raw.target)], condition=condition, from_trigger=raw.from_trigger,
                expression=expression, label=label, enabled=enabled)  # fmt: skip


def _condition(reader: Reader, raw: RawEdge) -> tuple[str, str | None]:
    condition = raw.condition
    if condition in (None, True):
        return "always", None
    if condition is False or condition == "never":
        raise reader.error(f"{raw.where}.condition", "never holds, so the edge can never be taken", value=condition, fix="remove the edge, or set `enabled: false` on it.")
    if condition == "js_expression":
        if not isinstance(raw.expression, str) or not raw.expression.strip():
            # Lightning hands the worker an edge with no condition then, and the worker takes it every time.
            reader.warn(f"{raw.where}.condition_expression", "is missing, so the edge is always taken (as on Lightning, whose "
                        "worker takes an edge without a condition)", fix="write the JavaScript condition, e.g. "
                        "`!state.errors && state.data.ok`, or set `condition_type: always`.")  # fmt: skip
            return "always", None
        return "js_expression", raw.expression
    if condition in CONDITIONS:
        return str(condition), None
    if isinstance(condition, str) and condition.strip() and not raw.typed:
        return "js_expression", condition  # the CLI's files write the JavaScript itself
    raise reader.error(f"{raw.where}.condition_type", "is not an edge condition", value=condition, fix=f"use one of: {', '.join(CONDITIONS)}.")


def _check_cycles(reader: Reader, where: str, edges: list[Edge]) -> None:
    children: dict[str, list[str]] = {}
    for edge in edges:
        if not edge.from_trigger and edge.enabled:
            children.setdefault(edge.source, []).append(edge.target)
    cycle = find_cycle(children)
    if cycle:
        raise reader.error(f"{where}.edges", f"make a cycle ({' -> '.join(cycle)})", fix="remove or disable one of those edges: a workflow must not loop.")


def _check_python_edges(reader: Reader, steps: dict[str, Step], edges) -> None:
    """A Python step evaluates its own edges (its trigger's edge into it, its edges out) without Node.js, so
    those may not be JavaScript conditions; a JavaScript step evaluates an edge into a Python step."""
    for where, edge in edges:
        python = steps[edge.target] if edge.from_trigger else steps[edge.source]
        if edge.condition == "js_expression" and edge.enabled and python.language == "python":
            raise reader.error(where, f"is a JavaScript condition on an edge of the Python step {python.key!r}, which "
                               "evaluates its edges without JavaScript", value=edge.expression,
                               fix="use always, on_job_success or on_job_failure on this edge, or write that step in JavaScript.")  # fmt: skip
