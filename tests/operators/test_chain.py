"""The run id a flow/fail trigger task gives its downstream run: stable under retries, new after a clear."""

from __future__ import annotations

from openfn.operators.chain import downstream_run_id


def test_run_id_carries_the_message_id_for_receipts():
    run_id = downstream_run_id("flow", "m-1", "demo.a", "message__m-1__x", "demo.b", 1)
    assert run_id == "flow__m-1__" + run_id.rsplit("__", 1)[1] and len(run_id.rsplit("__", 1)[1]) == 16


def test_run_id_without_a_message():
    assert downstream_run_id("fail", None, "demo.a", "manual__1", "demo.b", 1).startswith("fail__")
    assert downstream_run_id("fail", None, "demo.a", "manual__1", "demo.b", 1).count("__") == 1


def test_same_upstream_run_downstream_and_clear_cycle_give_the_same_id():
    assert downstream_run_id("flow", "m", "demo.a", "r", "demo.b", 1) == downstream_run_id("flow", "m", "demo.a", "r", "demo.b", 1)


def test_each_part_that_must_be_unique_changes_the_id():
    base = ("flow", "m", "demo.a", "r", "demo.b", 1)
    variants = [
        ("flow", "m", "demo.x", "r", "demo.b", 1),  # another upstream DAG
        ("flow", "m", "demo.a", "s", "demo.b", 1),  # another upstream run
        ("flow", "m", "demo.a", "r", "demo.c", 1),  # another downstream DAG
        ("flow", "m", "demo.a", "r", "demo.b", 3),  # the upstream run was cleared and ran again
    ]
    ids = {downstream_run_id(*args) for args in [base, *variants]}
    assert len(ids) == 5
