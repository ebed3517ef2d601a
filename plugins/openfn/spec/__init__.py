"""project.yaml -> frozen, typed objects. Every later step trusts what this package returns."""

from openfn.spec.loader import LoadReport, load_project, load_projects
from openfn.spec.model import (
    CronTrigger,
    Credential,
    FailTrigger,
    FlowTrigger,
    Job,
    MessageTrigger,
    Project,
    Trigger,
)

__all__ = [
    "CronTrigger",
    "Credential",
    "FailTrigger",
    "FlowTrigger",
    "Job",
    "LoadReport",
    "MessageTrigger",
    "Project",
    "Trigger",
    "load_project",
    "load_projects",
]
