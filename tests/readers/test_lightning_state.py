"""Lightning's files load as Lightning reads them: its project state (ids everywhere) beside its export
(keys), js_expression edges without an expression, concurrency, enable_job_logs, globals, keychain
credentials, channels; and what is wrong stops only what it belongs to."""

from __future__ import annotations

import pytest

from openfn.errors import ProjectError
from openfn.readers import load_project
from openfn.readers.report import grouped
from openfn.model.workflow import Edge, WebhookTrigger
from tests.dags.conftest import FIXTURES
from tests.readers.test_lightning import JOB, project_text

STATE = FIXTURES / "lightning" / "state"


def test_lightnings_project_state_loads_with_ends_and_credentials_named_by_id():
    project = load_project(STATE)
    assert (project.title, project.problems, list(project.workflows)) == ("Clinic Referrals", (), ["Referral-Intake"])  # deleted one left out
    intake = project.workflows["Referral-Intake"]
    assert list(intake.steps) == ["check-patient", "register-patient"]
    assert intake.edges == (
        Edge(source="webhook", target="check-patient", condition="always", from_trigger=True),
        Edge(source="kafka", target="check-patient", condition="always", from_trigger=True),
        Edge(source="check-patient", target="register-patient", condition="js_expression", expression="state.data.patient", label="has a patient"),
    )
    credential = intake.steps["register-patient"].credential
    assert (credential.key, credential.conn_id, credential.owner) == ("ana@example.org-Patients-API", "ana_example.org-Patients-API", "ana@example.org")
    assert (intake.concurrency, intake.job_logs, {step.job_logs for step in intake.steps.values()}) == (2, False, {False})
    assert intake.triggers["kafka"] == WebhookTrigger(key="kafka", enabled=False)
    assert [warning.key for warning in project.warnings] == ["workflows.Referral-Intake.triggers.kafka"]


def test_an_export_may_name_edge_ends_by_id_beside_others_named_by_key(make_project):
    jobs = "      a: {id: j-1, name: a, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)'}\n" + JOB.format(key="b", name="b")
    triggers = "      webhook: {id: t-1, type: webhook}"
    edges = "      one: {source_trigger_id: t-1, target_job_id: j-1, condition_type: always}\n      two: {source_job_id: j-1, target_job: b, condition_type: on_job_success}"
    (workflow,) = load_project(make_project(project_text(jobs, triggers, edges))).workflows.values()
    assert [(e.source, e.target, e.condition) for e in workflow.edges] == [("webhook", "a", "always"), ("a", "b", "on_job_success")]


def test_an_edge_naming_an_id_of_no_record_names_that_id(make_project):
    folder = make_project(project_text(JOB.format(key="a", name="a"), edges="      e: {source_trigger: webhook, target_job_id: 7f0c-missing, condition_type: always}"))
    with pytest.raises(ProjectError) as info:
        load_project(folder)
    assert [(e.key, e.problem, e.value) for e in info.value.errors][0] == ("workflows.wf.edges.e", "leads to an unknown step", "7f0c-missing")


def test_a_js_expression_edge_without_an_expression_is_always_taken_with_a_warning_as_on_lightning(make_project):
    edges = "      e: {source_job: a, target_job: b, condition_type: js_expression, condition_label: checked}"
    jobs = JOB.format(key="a", name="a") + "\n" + JOB.format(key="b", name="b")
    project = load_project(make_project(project_text(jobs, edges=edges)))
    assert project.workflows["wf"].edges == (Edge(source="a", target="b", condition="always", label="checked"),)
    (warning,) = project.warnings
    assert (warning.key, warning.problem) == (
        "workflows.wf.edges.e.condition_expression",
        "is missing, so the edge is always taken (as on Lightning, whose worker takes an edge without a condition)",
    )


def test_a_broken_workflow_is_left_out_and_reported_while_the_others_load(make_project):
    good = project_text(JOB.format(key="a", name="a"))
    broken = good.replace("  wf:", "  broken:").replace("workflows:\n", "") + "    concurrency: 0\n"
    project = load_project(make_project(good + broken))
    assert list(project.workflows) == ["wf"]
    assert [(p.key, p.problem) for p in project.problems] == [
        ("workflows.broken.concurrency", "must be a whole number >= 1"),
        ("workflows.broken", "is not loaded: no DAG is made for it until the 1 error(s) above are corrected"),
    ]


def test_a_steps_own_error_stops_that_step_and_its_workflow_runs(make_project):
    jobs = (
        JOB.format(key="a", name="a")
        + "\n      b: {name: b, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)', credential: nobody}"
        + "\n      c: {name: c, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)', project_credential_id: 55}"
        + "\n      d: {name: d, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)', adapter: x}"
    )
    edges = "      e: {source_job: a, target_job: b, condition_type: always}"
    text = project_text(jobs, edges=edges).replace("workflows:", "credentials:\n  known: {}\nworkflows:")
    project = load_project(make_project(text))
    steps = project.workflows["wf"].steps
    assert steps["a"].problem is None
    assert [(p.key, p.problem) for p in project.problems] == [
        ("workflows.wf.jobs.b.credential", "names an unknown credential"),
        ("workflows.wf.jobs.c.project_credential_id", "names no credential of the project"),
        ("workflows.wf.jobs.d.adapter", "is not a known key"),
    ]
    assert all(steps[key].problem for key in "bcd") and project.workflows["wf"].edges[0].target == "b"


def test_a_keychain_credential_stops_its_step_with_the_fix(make_project):
    job = "      a: {name: a, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)', keychain_credential_id: k-1}"
    project = load_project(make_project(project_text(job)))
    assert project.workflows["wf"].steps["a"].problem == str(project.problems[0])
    assert project.problems[0].problem.startswith("is a keychain credential (Lightning picks the credential from each run's input)")


def test_globals_of_the_project_workflow_and_step_reach_the_step_in_that_order(make_project):
    job = "      a: {name: a, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)', globals: 'export const c = 3;'}"
    text = "globals: 'export const a = 1;'\n" + project_text(job) + "    globals: 'export const b = 2;'\n"
    project = load_project(make_project(text))
    assert project.workflows["wf"].steps["a"].globals == "export const a = 1;\nexport const b = 2;\nexport const c = 3;"


def test_channels_and_a_project_concurrency_are_reported_as_not_run(make_project):
    text = "channels: [{name: dhis2-proxy, destination_url: 'https://dhis2.example.org'}]\nconcurrency: 3\n" + project_text(JOB.format(key="a", name="a"))
    project = load_project(make_project(text))
    assert [warning.key for warning in project.warnings] == ["channels", "concurrency"] and project.problems == ()


def test_missing_adaptor_versions_are_one_line_each_with_the_steps_that_need_them(make_project):
    jobs = "\n".join(f"      s{n}: {{name: s{n}, adaptor: '@openfn/language-{kind}', body: 'fn(s => s)'}}"
                     for n, kind in enumerate(["dhis2@4.0.3", "dhis2@4.0.3", "salesforce@4.0.5", "dhis2@4.0.3"]))  # fmt: skip
    project = load_project(make_project(project_text(jobs)))
    assert len(project.problems) == 4
    file = project.file
    assert grouped(project.problems) == [
        f"{file}: @openfn/language-dhis2@4.0.3 is not installed; 3 steps need it (wf/s0, wf/s1, wf/s3). "
        "Fix: run `make adaptors`: it installs every adaptor version the projects name that is missing.",
        f"{file}: @openfn/language-salesforce@4.0.5 is not installed; 1 step needs it (wf/s2). "
        "Fix: run `make adaptors`: it installs every adaptor version the projects name that is missing.",
    ]
