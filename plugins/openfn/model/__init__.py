"""The typed model of a project, as every reader produces it: frozen objects, every reference checked.

One model for both formats: a workflow of steps. A v1 job is a ``Step`` that is the one step of its own
workflow, with the trigger that links its DAG to others (``Project.jobs``)."""

from openfn.model.project import (
    CronTrigger,
    Credential,
    FailTrigger,
    FlowTrigger,
    MessageTrigger,
    Project,
    Trigger,
)
from openfn.model.workflow import Edge, Step, WebhookTrigger, Workflow

__all__ = ["CronTrigger", "Credential", "Edge", "FailTrigger", "FlowTrigger", "MessageTrigger", "Project", "Step",
           "Trigger", "WebhookTrigger", "Workflow"]
