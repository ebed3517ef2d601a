"""Jobs using collections, run as a task runs them, against the plugin's collections API on a real port:
JavaScript jobs of any adaptor through the real @openfn/runtime with @openfn/language-collections 0.8.0
loaded beside their own adaptor (as Lightning's worker loads it), and Python jobs with the Python adaptor."""

from __future__ import annotations

import json
import textwrap

import pytest

from openfn.inbox.store import collections as store
from openfn.runtime.javascript import JavaScriptRunner
from openfn.runtime.python import PythonRunner
from openfn.runtime.runner import SUCCESS, JobCode, StepInput
from tests.inbox.api.collections_support import LiveServer, clear_collections, end_run, start_run, token_for

pytestmark = [pytest.mark.slow]  # Node.js runs: in the slow tier, beside the e2e tier, not in `make check`
HTTP = ("@openfn/language-http", "7.2.10")
COMMON = ("@openfn/language-common", "3.3.4")


@pytest.fixture(scope="module")
def server(request):
    inbox = request.getfixturevalue("inbox_module")
    with LiveServer(inbox.http.app) as live:
        live.inbox = inbox
        yield live


@pytest.fixture(scope="module")
def inbox_module(sqlite_database, inbox_dags):
    from tests.inbox.conftest import build_client, clear_inbox

    clear_inbox(sqlite_database)
    client = build_client(sqlite_database)
    yield client
    client.runtime.stop()


@pytest.fixture
def run(server):
    database = server.inbox.runtime.database
    clear_collections(database)
    store.ensure(database, "clinic", ["patients", "mapping"])
    store.ensure(database, "forms", ["patients"])
    dag_id, run_id = start_run(server.inbox)
    access = {"endpoint": f"{server.url}/openfn/collections", "token": token_for("clinic", dag_id, run_id)}
    return {"database": database, "access": lambda: access, "dag_id": dag_id, "run_id": run_id}


def js(expression: str, run, adaptor=HTTP, state=None):
    code = JobCode(project="clinic", key="job", language="javascript", adaptor=adaptor[0].rsplit("-", 1)[-1],
                   expression=textwrap.dedent(expression), adaptor_package=adaptor[0], adaptor_version=adaptor[1], timeout=60)  # fmt: skip
    return JavaScriptRunner().run_step(code, StepInput(state=state or {"data": {}}, collections=run["access"]))


def items(run, name="patients") -> dict:
    collection = store.find(run["database"], "clinic", name)
    rows = store.page(run["database"], collection, store.Filters(), after_id=None, limit=10_000)
    return {row.key: json.loads(row.value) for row in rows}


def test_js_job_of_the_http_adaptor_sets_gets_and_iterates_a_collection(run):
    outcome = js("""
        collections.set('patients', (p) => p.id, $.data.patients);
        collections.get('patients', 'p-2');
        fn((state) => ({ ...state, one: state.data }));
        collections.get('patients', 'p-*');
        fn((state) => ({ ...state, keys: state.data.map((item) => item.key) }));
        fn((state) => ({ ...state, names: [] }));
        collections.each('patients', 'p-*', (state, value, key) => { state.names.push(`${key}:${value.name}`); });
    """, run, state={"data": {"patients": [{"id": "p-1", "name": "Ann"}, {"id": "p-2", "name": "Bo"}, {"id": "q-3", "name": "Cy"}]}})
    assert outcome.status == SUCCESS, outcome.reason
    assert (outcome.state["one"], outcome.state["keys"], outcome.state["names"]) == ({"id": "p-2", "name": "Bo"}, ["p-1", "p-2"], ["p-1:Ann", "p-2:Bo"])
    assert items(run) == {"p-1": {"id": "p-1", "name": "Ann"}, "p-2": {"id": "p-2", "name": "Bo"}, "q-3": {"id": "q-3", "name": "Cy"}}
    assert "configuration" not in outcome.state  # the token is never handed on


def test_js_job_removes_by_key_and_by_pattern_and_a_missing_key_gets_an_empty_object(run):
    store.put_items(run["database"], store.find(run["database"], "clinic", "patients"), [("a-1", "1"), ("a-2", "2"), ("b-1", "3")])
    outcome = js("""
        collections.remove('patients', 'b-1');
        collections.remove('patients', 'a-*');
        collections.get('patients', 'b-1');
    """, run, adaptor=COMMON)
    assert outcome.status == SUCCESS, outcome.reason
    assert (outcome.state["data"], items(run)) == ({}, {})


def test_js_job_pages_more_than_one_batch_with_the_packages_cursor(run):
    outcome = js("""
        fn((state) => ({ ...state, data: Array.from({ length: 2500 }, (_, i) => ({ i })) }));
        collections.set('patients', (v) => `k-${String(v.i).padStart(5, '0')}`, $.data);
        collections.get('patients', { key: 'k-*', limit: 1200 });
        fn((state) => ({ ...state, count: state.data.length, cursor: state.data.cursor ?? null }));
        fn((state) => ({ ...state, total: 0 }));
        collections.each('patients', '*', (state) => { state.total += 1; });
    """, run)
    assert outcome.status == SUCCESS, outcome.reason
    assert (outcome.state["count"], outcome.state["cursor"] is not None, outcome.state["total"]) == (1200, True, 2500)


def test_js_job_using_an_unknown_or_another_projects_collection_fails_with_the_packages_error(run):
    outcome = js("collections.get('nope', 'k');", run)
    assert outcome.status == "failure"
    assert "COLLECTION_NOT_FOUND" in outcome.reason
    store.put_items(run["database"], store.find(run["database"], "forms", "patients"), [("secret", '"forms"')])
    assert js("collections.set('patients', 'secret', ['mine']);", run).status == SUCCESS  # the clinic's own patients
    assert store.get_item(run["database"], store.find(run["database"], "forms", "patients"), "secret").value == '"forms"'


def test_js_job_of_a_finished_run_is_refused(server, run):
    dag_id, run_id = start_run(server.inbox)  # a run the api-server has not seen yet (it keeps a run's state 5 s)
    end_run(run["database"], run_id)
    ended = {**run, "access": lambda: {**run["access"](), "token": token_for("clinic", dag_id, run_id)}}
    outcome = js("collections.get('patients', 'k');", ended)
    assert outcome.status == "failure" and "has ended" in outcome.reason


def test_a_job_that_does_not_use_collections_gets_no_token(run):
    asked = []
    code = JobCode(project="clinic", key="job", language="javascript", adaptor="common", expression="fn((s) => ({ ...s, seen: Object.keys(s.configuration) }));",
                   adaptor_package=COMMON[0], adaptor_version=COMMON[1], timeout=60)  # fmt: skip
    outcome = JavaScriptRunner().run_step(code, StepInput(state={}, configuration={"x": 1}, collections=lambda: asked.append(1)))
    assert (outcome.status, outcome.state["seen"], asked) == (SUCCESS, ["x"], [])


def python_job(tmp_path, body: str, run, state=None):
    path = tmp_path / "job.py"
    path.write_text("from openfn.adaptors import collections\nfrom openfn.adaptors.common import fn\n\n" + textwrap.dedent(body))
    code = JobCode(project="clinic", key="job", language="python", adaptor="common", expression_file=str(path))
    return PythonRunner().run_step(code, StepInput(state=state or {"data": {}}, collections=run["access"]))


def test_python_adaptor_sets_gets_iterates_and_removes(tmp_path, run):
    outcome = python_job(tmp_path, """
        seen = []
        operations = [
            collections.set("patients", lambda p, state, i: p["id"], lambda state: state["data"]["patients"]),
            collections.set("mapping", "districts", ["Kisumu", "Siaya"]),
            collections.get("patients", "p-2"),
            fn(lambda state: {**state, "one": state["data"]}),
            collections.get("patients", {"key": "p-*", "limit": 1}),
            fn(lambda state: {**state, "page": list(state["data"]), "more": state["data"].cursor is not None}),
            collections.each("patients", "*", lambda state, value, key: seen.append(key)),
            fn(lambda state: {**state, "seen": list(seen)}),
            collections.get("mapping", "districts"),
            fn(lambda state: {**state, "districts": state["data"]}),
            collections.remove("patients", "p-*"),
            collections.get("patients", "p-1"),
        ]
    """, run, state={"data": {"patients": [{"id": "p-1"}, {"id": "p-2"}, {"id": "z-3"}]}})
    assert outcome.status == SUCCESS, outcome.reason
    state = outcome.state
    assert state["one"] == {"id": "p-2"}
    assert (state["page"], state["more"]) == ([{"key": "p-1", "value": {"id": "p-1"}}], True)
    assert (state["seen"], state["districts"], state["data"]) == (["p-1", "p-2", "z-3"], ["Kisumu", "Siaya"], {})
    assert items(run) == {"z-3": {"id": "z-3"}}


def test_python_adaptor_names_the_missing_collection_and_the_fix(tmp_path, run):
    outcome = python_job(tmp_path, 'operations = [collections.get("nope", "k")]\n', run)
    assert outcome.status == "failure"
    assert "Collection 'nope': GET answered 404: Collection 'nope' does not exist in project 'clinic'" in outcome.reason


def test_python_adaptor_uses_the_configurations_endpoint_and_token_when_given(tmp_path, run):
    access = run["access"]()
    state = {"data": {}, "configuration": {"collections_endpoint": access["endpoint"], "collections_token": access["token"]}}
    path = tmp_path / "job.py"
    path.write_text('from openfn.adaptors import collections\noperations = [collections.set("patients", "k", {"a": 1})]\n')
    code = JobCode(project="clinic", key="job", language="python", adaptor="common", expression_file=str(path))
    assert PythonRunner().run_step(code, StepInput(state=state)).status == SUCCESS
    assert items(run) == {"k": {"a": 1}}


def test_js_job_whose_adaptor_is_the_collections_adaptor(run):
    outcome = js("collections.set('patients', 'k', [1, 2]);\ncollections.get('patients', 'k');\n", run,
                 adaptor=("@openfn/language-collections", "0.8.0"))  # fmt: skip
    assert (outcome.status, outcome.state["data"]) == (SUCCESS, [1, 2]), outcome.reason
