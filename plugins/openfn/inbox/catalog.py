"""The projects as the inbox sees them: loaded once, reloaded when a ``project.yaml`` changes.

Each project carries a ``FilterIndex`` of the jobs a message can start by itself (message trigger,
``autoprocess``, ``enabled``), so matching a body costs the same with 1 or 10,000 triggers.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from openfn.errors import ProjectError
from openfn.inbox.bodies.filter_shape import Shape
from openfn.match_index import FilterIndex
from openfn.model import Project, Step
from openfn.model.workflow import WebhookTrigger, Workflow
from openfn.readers import load_projects
from openfn.readers.loader import files_signature


@dataclass(frozen=True)
class Webhook:
    """A Lightning workflow's webhook trigger: an inbox of its own, each message one run of the workflow."""

    workflow: Workflow
    trigger: WebhookTrigger

    @property
    def name(self) -> str:
        """The trigger as messages record it: ``<workflow>/<trigger>``."""
        return f"{self.workflow.key}/{self.trigger.key}"


@dataclass(frozen=True)
class InboxProject:
    project: Project
    index: FilterIndex
    shape: Shape  # what the autoprocess filters look at: a large body is cut down to it before matching
    webhooks: dict[str, Webhook] = field(default_factory=dict)  # by inbox name: <project>/<workflow>/<trigger>

    @property
    def name(self) -> str:
        return self.project.name

    @functools.cached_property
    def replies_after_completion(self) -> bool:
        """Whether a message trigger of the project answers its senders with the run's result."""
        return any(getattr(job.trigger, "reply", None) == "after_completion" for job in autoprocess_jobs(self.project))

    def matching_jobs(self, body) -> list[Step]:
        """The jobs that start a run for this body, in project-file order."""
        return [self.project.jobs[key] for key in self.index.matching(body)]


def autoprocess_jobs(project: Project) -> list[Step]:
    return [job for job in project.message_jobs() if job.autoprocess and job.enabled]


def inbox_project(project: Project) -> InboxProject:
    entries = [(job.key, job.trigger.inclusion, job.trigger.exclusion) for job in autoprocess_jobs(project)]
    shape = Shape.of(f for _, inclusion, exclusion in entries for f in (inclusion, exclusion))
    webhooks = {
        f"{project.name}/{hook.name}": hook
        for hook in (Webhook(workflow, trigger) for workflow in project.workflows.values() for trigger in workflow.webhooks)
    }
    return InboxProject(project=project, index=FilterIndex(entries), shape=shape, webhooks=webhooks)


@dataclass(frozen=True)
class Snapshot:
    projects: dict[str, InboxProject] = field(default_factory=dict)
    errors: tuple[ProjectError, ...] = ()

    @functools.cached_property
    def inboxes(self) -> dict[str, tuple[InboxProject, Webhook | None]]:
        """Every inbox by name: each project's own, and each workflow webhook (``<project>/<workflow>/<trigger>``)."""
        found: dict[str, tuple[InboxProject, Webhook | None]] = {}
        for name, inbox in self.projects.items():
            found[name] = (inbox, None)
            found.update({hook_name: (inbox, hook) for hook_name, hook in inbox.webhooks.items()})
        return found


class Catalog:
    """Thread-safe; looks at the files at most every ``interval`` seconds."""

    def __init__(self, jobs_dir: Path, *, interval: float = 2.0) -> None:
        self.jobs_dir = jobs_dir
        self.interval = interval
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._checked = 0.0
        self._snapshot = Snapshot()

    def _files_signature(self) -> tuple:
        return files_signature(self.jobs_dir)

    def fresh(self) -> bool:
        """Whether ``snapshot()`` would answer from memory, without looking at the files."""
        return time.monotonic() - self._checked < self.interval

    def snapshot(self) -> Snapshot:
        if time.monotonic() - self._checked < self.interval:
            return self._snapshot
        with self._lock:
            if time.monotonic() - self._checked >= self.interval:
                signature = self._files_signature()
                if signature != self._signature:
                    report = load_projects(self.jobs_dir)
                    self._snapshot = Snapshot(
                        projects={p.name: inbox_project(p) for p in report.projects}, errors=tuple(report.errors)
                    )
                    self._signature = signature
                self._checked = time.monotonic()
        return self._snapshot

    def get(self, name: str) -> InboxProject | None:
        return self.snapshot().projects.get(name)


def chain_dag_ids(catalog: "Catalog", project_names) -> list[str]:
    """The DAG ids of the flow and fail jobs of these projects: their runs carry a message on."""
    projects = catalog.snapshot().projects
    return [
        job.dag_id
        for name in project_names
        if name in projects
        for job in projects[name].project.jobs.values()
        if job.trigger.kind in ("flow", "fail")
    ]
