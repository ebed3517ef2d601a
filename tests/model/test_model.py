"""One model for both formats: a v1 job is the one step of its own workflow, linked to other DAGs by its
trigger; a Lightning step is a step of its workflow. Both are ``Step``."""

from __future__ import annotations

from openfn import model
from openfn.model.workflow import Step, Workflow
from openfn.readers import load_project
from tests.dags.conftest import FIXTURES, REPO


def test_a_v1_job_is_the_one_step_of_its_own_workflow_with_its_trigger():
    project = load_project(REPO / "include" / "jobs" / "demo")
    job = project.jobs["register-patient"]
    assert isinstance(job, Step) and not hasattr(model, "Job")  # one class: no separate job model
    assert (job.workflow, job.key, job.dag_id, job.where, job.language, job.trigger.kind) == (
        "register-patient", "register-patient", "demo.register-patient", "jobs.register-patient", "python", "message")
    assert [j.key for j in project.downstream("register-patient", "flow")] == ["confirm-registration"]
    assert [j.key for j in project.downstream("register-patient", "fail")] == ["registration-failed"]


def test_a_lightning_step_belongs_to_its_workflow_and_has_no_trigger_of_its_own():
    project = load_project(FIXTURES / "lightning" / "mixed")
    workflow = project.workflows["intake"]
    assert isinstance(workflow, Workflow) and project.jobs == {}
    tidy, greet = workflow.steps["tidy-name"], workflow.steps["greet"]
    assert (tidy.dag_id, tidy.language, tidy.trigger) == ("mixed.intake", "python", None)
    assert (greet.dag_id, greet.language, greet.expression_file) == ("mixed.intake", "javascript", None)
