"""Initial state from the run conf, the public (saved/returned) state, and its size."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from openfn.runtime.state import initial_state, public_state, state_size


def test_no_conf_starts_from_an_empty_state():
    assert initial_state({}) == {"data": {}, "references": []}


def test_no_conf_starts_a_cron_job_from_its_saved_state():
    assert initial_state(None, saved={"data": {}, "references": [], "lastId": 9}) == {"data": {}, "references": [], "lastId": 9}


def test_conf_state_is_the_initial_state():
    assert initial_state({"state": {"data": {"a": 1}, "cursor": "x"}}, saved={"lastId": 9}) == {"data": {"a": 1}, "cursor": "x", "references": []}


def test_message_conf_uses_its_state_and_ignores_the_openfn_block():
    conf = {"openfn": {"message_id": "m"}, "state": {"data": {"formID": "f"}, "request": {"headers": {}}}}
    assert initial_state(conf) == {"data": {"formID": "f"}, "request": {"headers": {}}, "references": []}


def test_any_other_conf_object_is_the_data():
    assert initial_state({"formID": "f", "name": "x"}) == {"data": {"formID": "f", "name": "x"}, "references": []}


def test_configuration_in_a_given_state_is_dropped():
    assert initial_state({"state": {"data": {}, "configuration": {"password": "p"}}}) == {"data": {}, "references": []}


def test_state_that_is_not_an_object_is_refused():
    with pytest.raises(TypeError, match=r"^conf 'state' must be a JSON object, got list$"):
        initial_state({"state": [1, 2]})


def test_public_state_drops_configuration_and_makes_values_json():
    state = {"data": {"n": Decimal("1.50"), "i": Decimal("2"), "at": datetime.date(2024, 5, 1)}, "configuration": {"password": "p"}}
    assert public_state(state) == {"data": {"n": 1.5, "i": 2, "at": "2024-05-01"}}


def test_public_state_refuses_values_that_are_not_json():
    with pytest.raises(TypeError, match=r"^a value of type object cannot be stored in state \(state must be JSON\)$"):
        public_state({"data": object()})


def test_size_is_compact_utf8_json_without_configuration():
    state = {"data": {"name": "Pépé"}, "references": [], "configuration": {"password": "x" * 1000}}
    assert state_size(state) == len('{"data":{"name":"Pépé"},"references":[]}') + 2  # two 2-byte é
