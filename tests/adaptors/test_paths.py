"""JSONPath compilation, data_path, reference_path, json_value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfn.adaptors._paths import compile_path
from openfn.adaptors.common import data_path, json_value, reference_path
from openfn.errors import OperationArgumentError
from tests.adaptors.helpers import REGISTRATION_FORM, exact

PATH_FIX = "Fix: Write a JSONPath such as '$.data.name', '$.data.items[*].id' or '$..case_id'."


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("name", "$.data.name"),
        ("$.name", "$.data.name"),
        ("..name", "$.data.name"),
        ("data.hello", "$.data.data.hello"),
        ("$.data.hello", "$.data.data.hello"),
        ("[0].foo", "$.data.[0].foo"),
        ("$['@xmlns']", "$.data.['@xmlns']"),
        ("$", "$.data.$"),
        ("$.", "$.data.."),
    ],
)
def test_data_path_roots_a_path_at_data(path, expected):
    assert data_path(path) == expected


@pytest.mark.parametrize(("path", "expected"), [("[0]", "$.references[0]"), ("[0].id", "$.references[0].id"), ("id", "$.referencesid"), ("$", "$.references$")])
def test_reference_path_roots_a_path_at_references(path, expected):
    assert reference_path(path) == expected


@pytest.mark.parametrize(("path", "shown"), [(["name"], "list ['name']"), ("", "str ''")])
def test_data_path_refuses_a_path_that_is_not_text_or_empty(path, shown):
    with pytest.raises(OperationArgumentError, match=exact(f"data_path() needs a non-empty path string, got {shown}. {PATH_FIX}")):
        data_path(path)


@pytest.mark.parametrize(
    ("path", "value"),
    [("$.data.[0].x", 1), ("$.data.[1].x", 2), ("$.data.$", [{"x": 1}, {"x": 2}]), ("$.references$", None), ("$.references[0].", {"@id": "a"}), ("$.references[0].`@id", "a")],
)
def test_paths_as_language_common_builds_them_read_as_in_jsonpath_plus(path, value):
    state = {"data": [{"x": 1}, {"x": 2}], "references": [{"@id": "a"}]}
    assert json_value(state, path) == value


def test_json_value_returns_the_first_match_or_none():
    document = {"a": {"b": {"c": 1, "e": ""}}}
    assert json_value(document, "a.b.c") == 1
    assert json_value(document, "a.d.c") is None
    assert json_value(document, "a.b.e") == ""
    assert json_value(REGISTRATION_FORM, "$.form.case.update.district") == "Kisumu"


def test_json_value_refuses_an_invalid_path():
    with pytest.raises(OperationArgumentError, match=exact(f"json_value() got an invalid JSONPath '$.a[' for `path` (Parse error near the end of string!). {PATH_FIX}")):
        json_value({}, "$.a[")


def test_reserved_words_of_jsonpath_ng_need_brackets():
    with pytest.raises(OperationArgumentError, match=r"^source\(\) got an invalid JSONPath '\$\.data\.where' "):
        compile_path("$.data.where", "source")
    assert json_value({"data": {"where": "Kisumu"}}, "$.data['where']") == "Kisumu"


@given(st.text(alphabet="$.[]*?()@'\"=<>!0123456789abc-:, `&|~\\", max_size=12))
def test_any_text_either_compiles_or_is_refused_with_an_operation_argument_error(text):
    try:
        compiled = compile_path(text, "source")
    except OperationArgumentError as error:
        assert str(error).startswith("source() ")
    else:
        compiled.find({"data": {"a": [1, {"b": 2}]}})
