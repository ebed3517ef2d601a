"""source, source_value, data_value, last_reference_value, index, merge, join: JSONPath reads from state."""

from __future__ import annotations

import pytest

from openfn.adaptors.common import data_value, field, fields, index, join, last_reference_value, merge, source, source_value
from openfn.errors import OperationArgumentError
from tests.adaptors.helpers import PATIENTS, REGISTRATION_FORM, exact, form_state, patients_state

PATH_FIX = "Fix: Write a JSONPath such as '$.data.name', '$.data.items[*].id' or '$..case_id'."


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("formID", "patient_registration_v7"),
        ("$.formID", "patient_registration_v7"),
        (".formID", "patient_registration_v7"),
        ("form.name", "Jack Wilshere"),
        ("$.form.case['@case_id']", "case-7f3a"),
        ("form.case.@case_id", "case-7f3a"),
        ("form.medications[1]", "zaradood"),
        ("form.medications[-1]", None),  # jsonpath-plus reads the key '-1', which a list lacks
        ("form.medications[-1:]", "morphofast"),
        ("form.medications.length", 3),
        ("form.medications[?(@ == 'zaradood' || @ == 'morphofast')]", "zaradood"),
        ("form.medications[*]", "anaphlene"),
        ("form..district", "Kisumu"),
        ("form.missing", None),
        ("$", REGISTRATION_FORM),
    ],
)
def test_data_value_reads_the_first_match_inside_data(path, expected):
    assert data_value(path)(form_state()) == expected


def test_data_value_drops_leading_dots_so_a_leading_recursive_descent_reads_a_direct_key():
    # As language-common's dataPath: '$..district' becomes '$.data.district'; use source('$.data..district').
    assert data_value("$..district")(form_state()) is None
    assert source("$.data..district")(form_state()) == ["Kisumu"]


def test_data_value_is_built_once_and_reads_the_state_of_the_moment():
    read_name = data_value("name")
    assert [read_name({"data": {"name": name}}) for name in ("Jack", "Larry")] == ["Jack", "Larry"]


def test_data_value_of_data_that_is_not_a_document_is_none():
    assert data_value("name")({"data": "plain text"}) is None
    assert data_value("name")({}) is None


def test_data_value_refuses_a_path_that_is_not_text_when_built():
    with pytest.raises(OperationArgumentError, match=exact(f"data_value() needs a non-empty path string, got int 3. {PATH_FIX}")):
        data_value(3)


def test_data_value_refuses_invalid_syntax_when_built():
    with pytest.raises(OperationArgumentError, match=r"^data_value\(\) got an invalid JSONPath '\$\.data\.form\[\?\(' for `path` \("):
        data_value("form[?(")


def test_source_value_reads_the_whole_state():
    state = form_state()
    assert source_value("$.configuration.host")(state) == "https://openmrs.example.org"
    assert source_value("$.data.formID")(state) == "patient_registration_v7"
    assert source_value("references")(state) == []


def test_source_returns_every_match():
    assert source("$.data.patients[*].case_id")(patients_state()) == ["case-7f3a", "case-91bc", "case-02de"]
    assert source("$.data.patients[?(@.age > 40)].name")(patients_state()) == ["Larry Bird"]
    assert source("$.data.nothing[*]")(patients_state()) == []


def test_source_walks_recursively_in_document_order():
    state = {"data": {"x": 1, "nested": {"x": 2, "deeper": [{"x": 3}]}}}
    assert source("$..x")(state) == [1, 2, 3]


def test_source_refuses_none_when_built():
    with pytest.raises(OperationArgumentError, match=exact(f"source() needs a JSONPath string for `path`, got None. {PATH_FIX}")):
        source(None)


def test_last_reference_value_reads_the_first_reference_as_language_common_does():
    state = {"references": [{"foo": "bar"}, {"baz": "foo"}]}
    assert last_reference_value("foo")(state) == "bar"
    assert last_reference_value("$.foo")(state) == "bar"
    assert last_reference_value("")(state) == {"foo": "bar"}
    assert last_reference_value("baz")(state) is None


def test_index_reads_the_position_set_by_each():
    assert index()({"index": 4}) == 4
    assert index()({}) is None


def test_merge_adds_resolved_fields_to_every_item():
    state = {"data": {"clinic": "Kisumu East", "visits": [{"id": 1}, {"id": 2, "clinic": "old"}]}}
    merged = merge("$.data.visits[*]", fields(field("clinic", source_value("$.data.clinic")), field("synced", True)))
    assert merged(state) == [{"id": 1, "clinic": "Kisumu East", "synced": True}, {"id": 2, "clinic": "Kisumu East", "synced": True}]


def test_merge_refuses_fields_that_are_not_a_dict_when_built():
    message = "merge() needs a dict of fields for `fields`, got list ['clinic']. Fix: Pass a dict such as fields(field('clinic', 'Kisumu'))."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        merge("$.data.visits[*]", ["clinic"])


def test_join_adds_a_value_to_each_item_without_overwriting_its_own():
    state = {"data": {"patient_id": "p-1", "visits": [{"id": 1}, {"id": 2, "patient_id": "p-9"}]}}
    assert join("$.data.visits[*]", "$.data.patient_id", "patient_id")(state) == [{"patient_id": "p-1", "id": 1}, {"patient_id": "p-9", "id": 2}]


def test_join_refuses_a_bad_source_path_when_built():
    with pytest.raises(OperationArgumentError, match=r"^join\(\) got an invalid JSONPath '\$\$' for `source_path` \("):
        join("$.data.visits[*]", "$$", "patient_id")


def test_values_read_from_the_patients_fixture_are_the_originals_not_copies():
    state = patients_state()
    assert source_value("$.data.patients[0]")(state) is state["data"]["patients"][0]
    assert source_value("$.data.patients[0]")(state) == PATIENTS[0]
