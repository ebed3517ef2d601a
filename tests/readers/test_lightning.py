"""Lightning projects load from every file Lightning and its CLI write, into one model: Airflow ids by the
documented rule, every error at once, and problems (Kafka, adaptors) that stop only what they concern."""

from __future__ import annotations

import pytest

from openfn.errors import ProjectError
from openfn.readers import load_project
from openfn.readers._names import airflow_id
from openfn.readers.loader import ProjectErrors
from openfn.model.project import CronTrigger
from openfn.model.workflow import Edge, WebhookTrigger
from tests.dags.conftest import FIXTURES

LIGHTNING = FIXTURES / "lightning"
REFERRAL_EDGES = [
    ("webhook", "check-patient", "always", None, True),
    ("check-patient", "register-patient", "on_job_success", None, True),
    ("check-patient", "report-problem", "on_job_failure", None, True),
    ("register-patient", "alert-clinician", "js_expression", "state.data.urgent === true", True),
    ("register-patient", "archive", "always", None, False),
]


def graph(workflow) -> list[tuple]:
    return [(e.source, e.target, e.condition, e.expression.strip() if e.expression else None, e.enabled) for e in workflow.edges]


def test_lightnings_project_export_loads_into_workflows():
    project = load_project(LIGHTNING / "referrals")
    assert (project.name, project.kind, project.title, project.problems) == ("referrals", "lightning", "Clinic Referrals", ())
    assert project.description == "Referrals from the community health app, and a nightly count.\n"
    assert project.jobs == {} and list(project.workflows) == ["Referral-Intake", "Nightly-Count"]
    intake = project.workflows["Referral-Intake"]
    assert (intake.dag_id, intake.name) == ("referrals.Referral-Intake", "Referral Intake")
    assert list(intake.steps) == ["check-patient", "register-patient", "report-problem", "alert-clinician", "archive"]
    assert intake.triggers == {"webhook": WebhookTrigger(key="webhook")}
    assert graph(intake) == REFERRAL_EDGES
    assert intake.edges[3].label == "urgent cases"
    register = intake.steps["register-patient"]
    assert (register.name, register.adaptor_package, register.adaptor_installed) == ("register patient", "@openfn/language-common", "3.3.4")
    assert (register.credential.conn_id, register.credential.name, register.credential.owner) == ("ana_example.org-Patients-API", "Patients API", "ana@example.org")
    assert project.workflows["Nightly-Count"].triggers == {"cron": CronTrigger(key="cron", cron="0 2 * * *", cursor_step="count")}


def test_the_clis_project_file_loads_into_the_same_workflow():
    project = load_project(LIGHTNING / "portability")
    (intake,) = project.workflows.values()
    assert (intake.dag_id, intake.name, project.title) == ("portability.referral-intake", "Referral Intake", "Clinic Referrals")
    assert graph(intake) == REFERRAL_EDGES
    assert intake.triggers == {"webhook": WebhookTrigger(key="webhook", reply="after_completion", success_code=200, error_code=502)}
    assert intake.steps["register-patient"].credential.conn_id == "ana_example.org_Patients_API"  # 'ana@example.org|Patients API'


def test_the_clis_checked_out_folder_loads_with_its_job_files_and_saved_trigger_settings():
    project = load_project(LIGHTNING / "checkout")
    (intake,) = project.workflows.values()
    assert intake.dag_id == "checkout.intake"
    assert intake.triggers == {"cron": CronTrigger(key="cron", cron="30 1 * * *", cursor_step="fetch")}
    assert intake.steps["fetch"].expression_file.name == "fetch.js" and intake.steps["fetch"].expression is None
    assert graph(intake)[1] == ("fetch", "store", "js_expression", "state.data.items.length > 0 && !state.errors", True)


@pytest.mark.parametrize(
    ("key", "mapped"),
    [("check-patient", "check-patient"), ("Sync_Cases", "Sync_Cases"), ("Données patients", "Donnees-patients"),
     ("CommCare → DHIS2 (v2)", "CommCare-DHIS2-v2"), ("患者確認", "step-cadfe4a0")],
)  # fmt: skip
def test_keys_become_airflow_ids_by_one_rule(key, mapped):
    assert airflow_id(key) == mapped


WORKFLOW = """
workflows:
  wf:
    name: wf
    jobs:
{jobs}
    triggers:
{triggers}
    edges:
{edges}
"""


def project_text(jobs: str, triggers: str = "      webhook: {type: webhook}", edges: str = "      {}") -> str:
    return WORKFLOW.format(jobs=jobs, triggers=triggers, edges=edges)


JOB = "      {key}: {{name: '{name}', adaptor: '@openfn/language-common@latest', body: 'fn(s => s)'}}"


def test_step_names_with_any_characters_become_task_ids(make_project):
    jobs = "\n".join(JOB.format(key=key, name=key) for key in ("Fetch Cases!", "Données"))
    edges = "      a: {source_trigger: webhook, target_job: 'Fetch Cases!', condition_type: always}\n" \
            "      b: {source_job: 'Fetch Cases!', target_job: 'Données', condition_type: on_job_success}"  # fmt: skip
    (workflow,) = load_project(make_project(project_text(jobs, edges=edges))).workflows.values()
    assert list(workflow.steps) == ["Fetch-Cases", "Donnees"]
    assert [(e.source, e.target) for e in workflow.edges] == [("webhook", "Fetch-Cases"), ("Fetch-Cases", "Donnees")]
    assert workflow.steps["Fetch-Cases"].name == "Fetch Cases!"


def test_every_error_of_a_lightning_file_is_reported_at_once_and_a_file_with_nothing_runnable_is_refused(make_project):
    jobs = "\n".join(JOB.format(key=key, name=key) for key in ("a", "b", "a!"))
    triggers = "      cron: {type: cron, cron_expression: 'every day'}\n      webhook: {type: webhook, webhook_reply: later}"
    edges = (
        "      e1: {source_trigger: webhook, target_job: ghost, condition_type: always}\n"
        "      e2: {source_job: a, target_job: b, condition_type: sometimes}\n"
        "      e3: {source_job: a, target_job: b, condition_type: js_expression}\n"
        "      e4: {source_trigger: nope, target_job: a}"
    )
    folder = make_project(project_text(jobs, triggers, edges))
    with pytest.raises(ProjectErrors) as info:
        load_project(folder)
    assert [(e.key, e.problem) for e in info.value.errors] == [
        ("workflows.wf.jobs.a!", "maps to the Airflow id 'a', like workflows.wf.jobs.a"),
        ("workflows.wf.triggers.cron.cron_expression", "is not a valid 5-field cron expression"),
        ("workflows.wf.triggers.webhook.webhook_reply", "must be before_start or after_completion"),
        ("workflows.wf.edges.e1", "leads to an unknown step"),
        ("workflows.wf.edges.e2.condition_type", "is not an edge condition"),
        ("workflows.wf.edges.e4", "starts at an unknown trigger"),
        ("workflows.wf", "is not loaded: no DAG is made for it until the 6 error(s) above are corrected"),
    ]


def test_a_cycle_of_edges_is_refused(make_project):
    jobs = "\n".join(JOB.format(key=key, name=key) for key in ("a", "b"))
    edges = "      x: {source_job: a, target_job: b, condition_type: always}\n      y: {source_job: b, target_job: a, condition_type: always}"
    with pytest.raises(ProjectError, match=r"workflows\.wf\.edges: make a cycle \(a -> b -> a\)\. Fix: remove or disable one of those edges"):
        load_project(make_project(project_text(jobs, edges=edges)))


def test_a_kafka_trigger_loads_as_a_disabled_webhook_with_a_warning_as_lightning_turned_them(make_project):
    triggers = "      kafka: {type: kafka, kafka_configuration: {hosts: ['kafka:9092'], topics: [cases]}}\n      webhook: {type: webhook}"
    edges = "      a: {source_trigger: kafka, target_job: a, condition_type: always}\n      b: {source_trigger: webhook, target_job: a, condition_type: always}"
    project = load_project(make_project(project_text(JOB.format(key="a", name="a"), triggers, edges)))
    (workflow,) = project.workflows.values()
    assert workflow.triggers == {"kafka": WebhookTrigger(key="kafka", enabled=False), "webhook": WebhookTrigger(key="webhook")}
    assert [e.source for e in workflow.edges] == ["kafka", "webhook"] and project.problems == ()
    (warning,) = project.warnings
    assert (warning.key, warning.problem) == (
        "workflows.wf.triggers.kafka",
        "is a Kafka trigger: Lightning no longer has them and turned each into a disabled webhook trigger; so is it here",
    )


def test_disabled_triggers_and_edges_are_kept_as_disabled(make_project):
    triggers = "      cron: {type: cron, cron_expression: '0 1 * * *', enabled: false}\n      webhook: {type: webhook, enabled: false}"
    edges = "      a: {source_trigger: cron, target_job: a, condition_type: always, enabled: false}"
    (workflow,) = load_project(make_project(project_text(JOB.format(key="a", name="a"), triggers, edges))).workflows.values()
    assert workflow.cron is None and workflow.triggers["webhook"].enabled is False
    assert workflow.edges == (Edge(source="cron", target="a", condition="always", from_trigger=True, enabled=False),)


def test_a_step_whose_adaptor_is_not_installed_is_a_problem_naming_its_key_path(make_project):
    job = "      a: {name: a, adaptor: '@openfn/language-salesforce@4.0.5', body: 'fn(s => s)'}"
    project = load_project(make_project(project_text(job)))
    (problem,) = project.problems
    assert problem.key == "workflows.wf.jobs.a.adaptor"
    assert "make adaptor ADD=@openfn/language-salesforce@4.0.5" in project.workflows["wf"].steps["a"].problem


def test_a_step_that_does_not_compile_is_a_problem(make_project):
    job = "      a: {name: a, adaptor: '@openfn/language-common@latest', body: 'fn((('}"
    project = load_project(make_project(project_text(job)))
    assert project.workflows["wf"].steps["a"].problem.endswith(
        "workflows.wf.jobs.a.expression: does not compile (line 1, column 6 of the inline expression): Syntax error: Unexpected token. "
        "Fix: correct the JavaScript at line 1 of the inline expression."
    )


def test_a_single_workflow_file_is_a_project_of_one_workflow(make_project):
    folder = make_project(
        "id: daily\nsteps:\n"
        "  - {id: cron, type: cron, cron_expression: '0 6 * * *', next: {pull: true}}\n"
        "  - {id: pull, adaptor: '@openfn/language-common@latest', expression: 'fn(s => s)', configuration: 'me@example.org|Feed'}\n",
        folder="daily",
    )
    (workflow,) = load_project(folder).workflows.values()
    assert (workflow.dag_id, list(workflow.steps)) == ("daily.daily", ["pull"])
    assert workflow.steps["pull"].credential.conn_id == "me_example.org_Feed"


def test_the_project_id_is_the_folder_name(make_project):
    folder = make_project(project_text(JOB.format(key="a", name="a")), folder="Clinic Referrals")
    with pytest.raises(ProjectError, match=r": must match \^\[a-z0-9_-\]\+\$ \(got 'Clinic Referrals'\)\. Fix: rename the project folder"):
        load_project(folder)


PY_JOB = "      {key}: {{name: '{key}', adaptor: '{adaptor}', body: '{body}'}}"


@pytest.mark.parametrize("body", ["tidy.py", "file://tidy.py", "{path: tidy.py}"])
def test_a_step_whose_body_names_a_py_file_is_a_python_step_of_the_adaptor_it_names(make_project, body):
    jobs = PY_JOB.format(key="tidy", adaptor="@openfn/language-http@7.2.10", body=body)
    if body.startswith("{"):
        jobs = "      tidy: {name: tidy, adaptor: '@openfn/language-http@7.2.10', body: {path: tidy.py}}"
    folder = make_project(project_text(jobs), files={"tidy.py": "operations = []\n"})
    (workflow,) = load_project(folder).workflows.values()
    step = workflow.steps["tidy"]
    assert (step.language, step.adaptor, step.expression_file, step.expression, step.problem) == ("python", "http", folder / "tidy.py", None, None)
    assert step.dag_id == "demo.wf"


def test_a_python_steps_adaptor_must_be_a_python_adaptor_and_only_that_step_stops(make_project):
    jobs = PY_JOB.format(key="tidy", adaptor="@openfn/language-nosuch@1.0.0", body="tidy.py") + "\n" + JOB.format(key="b", name="b")
    project = load_project(make_project(project_text(jobs), files={"tidy.py": "operations = []\n"}))
    (problem,) = project.problems
    assert (problem.key, problem.problem) == ("workflows.wf.jobs.tidy.adaptor", "names an adaptor this deployment does not have")
    steps = project.workflows["wf"].steps
    assert steps["tidy"].problem == str(problem) and steps["b"].problem is None


def test_a_python_step_with_a_syntax_error_cannot_run_and_its_problem_names_the_line(make_project):
    jobs = PY_JOB.format(key="tidy", adaptor="common", body="tidy.py")
    project = load_project(make_project(project_text(jobs), files={"tidy.py": "x = 1\ndef (\n"}))
    assert project.workflows["wf"].steps["tidy"].problem.startswith(
        f"{project.file}: workflows.wf.jobs.tidy.body: has a Python syntax error at line 2")


def test_a_javascript_condition_on_a_python_steps_edge_is_refused_with_the_fix(make_project):
    jobs = PY_JOB.format(key="tidy", adaptor="common", body="tidy.py") + "\n" + JOB.format(key="greet", name="greet")
    edges = "      t: {source_trigger: webhook, target_job: tidy, condition_type: always}\n" \
            "      e: {source_job: tidy, target_job: greet, condition_type: js_expression, condition_expression: 'state.data.ok'}"  # fmt: skip
    with pytest.raises(ProjectError) as info:
        load_project(make_project(project_text(jobs, edges=edges), files={"tidy.py": "operations = []\n"}))
    assert (info.value.key, info.value.problem, info.value.fix) == (
        "workflows.wf.edges.e",
        "is a JavaScript condition on an edge of the Python step 'tidy', which evaluates its edges without JavaScript",
        "use always, on_job_success or on_job_failure on this edge, or write that step in JavaScript.",
    )


def test_a_javascript_condition_into_a_python_step_from_a_javascript_step_is_fine(make_project):
    jobs = JOB.format(key="fetch", name="fetch") + "\n" + PY_JOB.format(key="tidy", adaptor="common", body="tidy.py")
    edges = "      e: {source_job: fetch, target_job: tidy, condition_type: js_expression, condition_expression: 'state.data.ok'}"
    (workflow,) = load_project(make_project(project_text(jobs, edges=edges), files={"tidy.py": "operations = []\n"})).workflows.values()
    assert [(e.source, e.target, e.condition) for e in workflow.edges] == [("fetch", "tidy", "js_expression")]
