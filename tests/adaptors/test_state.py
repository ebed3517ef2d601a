"""compose_next_state, log, debug, assert_."""

from __future__ import annotations

import logging

import pytest

from openfn.adaptors.common import assert_, compose_next_state, data_value, debug, log
from tests.adaptors.helpers import exact, form_state


def test_compose_next_state_appends_the_old_data_to_references_and_sets_the_response():
    state = {"data": {"form": 1}, "references": [{"older": True}], "configuration": {"host": "h"}}
    assert compose_next_state(state, {"id": "p-1"}) == {
        "data": {"id": "p-1"},
        "references": [{"older": True}, {"form": 1}],
        "configuration": {"host": "h"},
    }
    assert state == {"data": {"form": 1}, "references": [{"older": True}], "configuration": {"host": "h"}}


@pytest.mark.parametrize("state", [{}, {"references": None}])
def test_compose_next_state_starts_references_when_there_are_none(state):
    assert compose_next_state(state, [1, 2])["references"] == [None]


def test_log_writes_resolved_values_to_the_openfn_job_logger_and_returns_the_state(caplog):
    state = form_state()
    with caplog.at_level(logging.INFO, logger="openfn.job"):
        result = log("Patient:", data_value("form.name"), data_value("form.medications"), None, True, 3)(state)
    assert result is state
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("openfn.job", logging.INFO, 'Patient: Jack Wilshere [\n  "anaphlene",\n  "zaradood",\n  "morphofast"\n] null true 3'),
    ]


def test_debug_logs_at_debug_level(caplog):
    with caplog.at_level(logging.DEBUG, logger="openfn.job"):
        debug("Form:", data_value("formID"))(form_state())
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(logging.DEBUG, "Form: patient_registration_v7")]


def test_assert_passes_the_state_through_when_true():
    state = {"name": "Jane"}
    assert assert_(lambda state: state["name"] == "Jane", "not Jane")(state) is state


def test_assert_raises_the_given_message_resolved_from_state():
    with pytest.raises(AssertionError, match=exact("The form has no case_id.")):
        assert_(data_value("form.case_id"), lambda state: state["message"])({"data": {"form": {}}, "message": "The form has no case_id."})


@pytest.mark.parametrize(("value", "shown"), [(False, "false"), (None, "null"), (0, "0"), ("", "")])
def test_assert_without_a_message_says_what_the_expression_was(value, shown):
    with pytest.raises(AssertionError, match=exact(f"assertion statement failed with {shown}")):
        assert_(value)({})
