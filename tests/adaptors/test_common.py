"""The public surface of openfn.adaptors.common and a whole job written with it."""

from __future__ import annotations

import logging

import pytest

import openfn.adaptors.common as common
from openfn.adaptors.common import (
    as_,
    assert_,
    compose_next_state,
    cursor,
    data_value,
    each,
    field,
    fields,
    fn,
    log,
    map,
    resolve,
    source_value,
)
from tests.adaptors.helpers import REGISTRATION_FORM, form_state, run_job

OPERATIONS = ["alter_state", "as_", "assert_", "combine", "cursor", "debug", "each", "fn", "fn_if", "group", "log", "map", "map_", "parse_csv"]


def test_every_name_in_all_exists():
    assert [name for name in common.__all__ if not hasattr(common, name)] == []


def test_the_spec_names_are_public():
    spec_names = {"fn", "fn_if", "each", "data_value", "data_path", "source_value", "field", "fields", "merge", "cursor",
                  "last_reference_value", "map", "group", "chunk", "as_", "log", "assert_", "compose_next_state", "alter_state"}
    assert spec_names - set(common.__all__) == set()


@pytest.mark.parametrize("name", common.__all__)
def test_every_public_name_documents_an_example_written_as_job_code(name):
    doc = getattr(common, name).__doc__ or ""
    assert "Example:" in doc and "operations = [" in doc.split("Example:", 1)[1]


def test_operations_carry_their_public_name_for_the_runtime():
    built = {
        "alter_state": common.alter_state(lambda state: state),
        "as_": common.as_("x", lambda state: state),
        "assert_": common.assert_(True),
        "combine": common.combine(),
        "cursor": common.cursor(1),
        "debug": common.debug("x"),
        "each": common.each([], lambda state: state),
        "fn": common.fn(lambda state: state),
        "fn_if": common.fn_if(True, lambda state: state),
        "group": common.group([], "x"),
        "log": common.log("x"),
        "map": common.map([], lambda item: item),
        "map_": common.map_([], lambda item: item),
        "parse_csv": common.parse_csv(""),
    }
    assert sorted(built) == sorted(OPERATIONS)
    assert {name: operation.__openfn_name__ for name, operation in built.items()} == {**{name: name for name in OPERATIONS}, "map_": "map", "fn": "fn(<lambda>)"}


def post(path, body):
    """A stand-in for an HTTP adaptor operation: records the resolved body and composes the reply."""

    def operation(state):
        sent = resolve(state, body)
        reply = {"path": path, "id": f"p-{len(state.get('sent', [])) + 1}", "body": sent}
        return compose_next_state({**state, "sent": [*state.get("sent", []), sent]}, reply)

    return operation


def test_a_registration_job_runs_its_operations_in_order(caplog):
    def order(drug, position, state):
        return {"drug": drug, "rank": position + 1, "patient": state["patient_id"]}

    operations = [
        assert_(data_value("form.case.@case_id"), "The form has no case id."),
        post("/patients", body=fields(field("name", data_value("form.name")), field("case_id", data_value("form.case.@case_id")))),
        fn(lambda state: {**state, "patient_id": state["data"]["id"]}),
        as_("orders", map(lambda state: state["references"][0]["form"]["medications"], order)),
        each("$.orders[?(@.rank < 3)]", post("/orders", body=data_value("$"))),
        cursor(source_value("$.data.body.drug"), key="last_order"),
        log("Registered", source_value("$.data.body.patient"), "with", lambda state: len(state["sent"]), "requests"),
    ]
    with caplog.at_level(logging.INFO, logger="openfn.job"):
        final = run_job(operations, form_state())

    orders = [
        {"drug": "anaphlene", "rank": 1, "patient": "p-1"},
        {"drug": "zaradood", "rank": 2, "patient": "p-1"},
        {"drug": "morphofast", "rank": 3, "patient": "p-1"},
    ]
    assert final == {
        "data": {"path": "/orders", "id": "p-3", "body": orders[1]},
        "references": [REGISTRATION_FORM, orders[0], orders[1]],
        "configuration": {"host": "https://openmrs.example.org"},
        "sent": [{"name": "Jack Wilshere", "case_id": "case-7f3a"}, orders[0], orders[1]],
        "patient_id": "p-1",
        "orders": orders,
        "index": 1,
        "last_order": "zaradood",
    }
    assert caplog.messages == ["Setting last_order to: zaradood", "Registered p-1 with 3 requests"]


def test_a_job_stops_at_a_failed_assertion():
    form = form_state()
    del form["data"]["form"]["case"]
    with pytest.raises(AssertionError, match=r"^The form has no case id\.$"):
        run_job([assert_(data_value("form.case.@case_id"), "The form has no case id."), post("/patients", body=data_value("$"))], form)
