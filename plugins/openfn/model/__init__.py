"""The typed model of a project, as every reader produces it: frozen objects, every reference checked."""

from openfn.model.project import (
    CronTrigger,
    Credential,
    FailTrigger,
    FlowTrigger,
    Job,
    MessageTrigger,
    Project,
    Trigger,
)

__all__ = ["CronTrigger", "Credential", "FailTrigger", "FlowTrigger", "Job", "MessageTrigger", "Project", "Trigger"]
