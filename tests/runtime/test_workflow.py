"""How a workflow run ends, decided from what its steps recorded, as Lightning decides it."""

from __future__ import annotations

from openfn.runtime.workflow import Input, inputs_for, outcome, recorded


def run(id_, status="success", next_=(), state=None):
    return {"id": id_, "status": status, "next": list(next_), "state": {"data": {"at": id_}} if state is None else state}


def test_a_failure_handled_by_a_failure_edge_is_a_success():
    result = outcome({"a": [run("a", "failure", ["handle"])], "handle": [run("handle")]})
    assert (result.status, result.final) == ("success", {"data": {"at": "handle"}})


def test_a_failure_at_a_leaf_fails_the_run():
    result = outcome({"a": [run("a")], "b": [run("b", "failure")]})
    assert result.status == "failed" and result.detail.startswith("step b failed and no step handled it")


def test_a_crash_anywhere_crashes_the_run():
    result = outcome({"a": [{"id": "a", "status": "crash", "next": [], "state": None, "reason": "ReferenceError: x"}], "b": [run("b")]})
    assert (result.status, result.detail) == ("crashed", "step a crashed: ReferenceError: x")


def test_several_leaves_are_keyed_by_execution_and_empty_ones_are_left_out():
    result = outcome({"a": [run("a", next_=["b", "c"])], "b": [run("b")], "c": [run("c", state={"data": {}})], "d": [run("d"), run("d-1")]})
    assert result.final == {"b": {"data": {"at": "b"}}, "d": {"data": {"at": "d"}}, "d-1": {"data": {"at": "d-1"}}}


def test_a_step_that_started_and_recorded_nothing_was_lost_and_crashes_the_run():
    assert recorded("a", None, started=False) is None
    (lost,) = recorded("a", None, started=True)
    assert outcome({"a": [lost]}).status == "crashed"


def test_inputs_come_from_the_trigger_first_then_each_upstream_execution_whose_edge_held():
    upstream = {"x": [run("x", next_=["s"]), run("x-1", next_=[])], "y": [run("y", next_=["s"])]}
    inputs = inputs_for("s", trigger="webhook", trigger_edges={"webhook": True}, initial={"data": 1}, sources=("x", "y"), upstream=upstream)
    assert inputs == [Input({"data": 1}, ("webhook", True)), Input({"data": {"at": "x"}}), Input({"data": {"at": "y"}})]
    assert inputs_for("s", trigger="cron", trigger_edges={"webhook": True}, initial={}, sources=(), upstream={}) == []
