"""Functions of state inside operation arguments: resolve, expand_references, as_data."""

from __future__ import annotations

import io
import re

from openfn.adaptors.common import as_data, data_value, expand_references, resolve, source_value
from tests.adaptors.helpers import form_state, patients_state


def test_plain_values_are_returned_as_they_are():
    pattern, stream = re.compile("scully"), io.StringIO("a,b")
    assert expand_references({}, "mulder", 3, None, b"raw", pattern, stream) == ["mulder", 3, None, b"raw", pattern, stream]


def test_functions_are_called_with_state_and_their_results_resolved_again():
    state = {"name": "mulder"}
    assert resolve(state, lambda state: state["name"]) == "mulder"
    assert resolve(state, lambda state: lambda state: state["name"]) == "mulder"


def test_references_deep_inside_dicts_lists_and_tuples_are_resolved():
    body = {
        "patient": {"name": data_value("form.name"), "case": data_value("form.case.@case_id")},
        "tags": ["registration", source_value("$.data.formID")],
        "pair": ("district", data_value("form.case.update.district")),
    }
    assert resolve(form_state(), body) == {
        "patient": {"name": "Jack Wilshere", "case": "case-7f3a"},
        "tags": ["registration", "patient_registration_v7"],
        "pair": ("district", "Kisumu"),
    }


def test_resolving_does_not_change_the_argument_so_the_operation_can_run_again():
    body = {"name": data_value("form.name")}
    resolve(form_state(), body)
    assert callable(body["name"])


def test_classes_are_values_not_functions_of_state():
    assert resolve({}, {"type": dict}) == {"type": dict}


def test_as_data_reads_a_path_calls_a_function_and_passes_anything_else():
    state = patients_state()
    assert as_data("$.data.patients[*].age", state) == [37, 41, 37]
    assert as_data(lambda state: len(state["data"]["patients"]), state) == 3
    assert as_data({"literal": True}, state) == {"literal": True}
