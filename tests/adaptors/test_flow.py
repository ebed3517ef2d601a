"""fn, alter_state, fn_if, combine, each, map, group, as_: behaviour and build-time argument errors."""

from __future__ import annotations

import pytest

from openfn.adaptors.common import alter_state, as_, combine, data_value, each, fn, fn_if, group, index, map, map_
from openfn.errors import OperationArgumentError
from tests.adaptors.helpers import PATIENTS, exact, patients_state

STATE_FIX = "Fix: Pass an operation such as fn(...), or a function that takes the state dict."
SOURCE_FIX = "Fix: Pass for example '$.data.patients[*]', a list of items, or data_value('patients')."


def add_count(state):
    return {**state, "count": state.get("count", 0) + 1}


def test_fn_returns_what_the_function_returns():
    assert fn(lambda state: {**state, "data": {"n": 1}})({"data": {}, "references": []}) == {"data": {"n": 1}, "references": []}


def test_fn_and_alter_state_are_labelled_for_the_runtime():
    assert fn(add_count).__openfn_name__ == "fn(add_count)"
    assert fn(lambda state: state).__openfn_name__ == "fn(<lambda>)"
    assert alter_state(add_count).__openfn_name__ == "alter_state"


def test_alter_state_clears_references_like_the_state_bloat_fix():
    operation = alter_state(lambda state: {**state, "references": []})
    assert operation({"data": {"id": 1}, "references": [{"big": "x"}]}) == {"data": {"id": 1}, "references": []}


@pytest.mark.parametrize(("factory", "name"), [(fn, "fn"), (alter_state, "alter_state")])
def test_fn_refuses_a_non_function_when_built(factory, name):
    message = f"{name}() needs a function for `func`, got str 'tidy'. Fix: Pass a function that takes the state dict and returns the next state."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        factory("tidy")


def test_fn_refuses_a_class_because_it_is_a_type_not_a_function():
    with pytest.raises(OperationArgumentError, match=r"^fn\(\) needs a function for `func`, got type <class 'dict'>\. "):
        fn(dict)


def test_fn_if_runs_the_operation_when_the_condition_from_state_is_truthy():
    operation = fn_if(data_value("form.name"), fn(add_count))
    assert operation({"data": {"form": {"name": "Jack"}}}) == {"data": {"form": {"name": "Jack"}}, "count": 1}


@pytest.mark.parametrize("condition", [False, None, 0, "", lambda state: state["data"].get("consent")])
def test_fn_if_returns_the_same_state_when_the_condition_is_falsy(condition):
    state = {"data": {"consent": False}}
    assert fn_if(condition, fn(add_count))(state) is state


@pytest.mark.parametrize("condition", [[], {}, "0", lambda state: state["data"]["visits"]])
def test_fn_if_counts_an_empty_list_or_dict_as_true_as_javascript_does(condition):
    assert fn_if(condition, fn(add_count))({"data": {"visits": []}}) == {"data": {"visits": []}, "count": 1}


def test_fn_if_refuses_a_non_function_operation_when_built():
    with pytest.raises(OperationArgumentError, match=exact(f"fn_if() needs a function for `operation`, got bool True. {STATE_FIX}")):
        fn_if(True, True)


def test_combine_runs_operations_in_order_on_shallow_copies():
    seen = []

    def record(state):
        seen.append(state)
        return {**state, "hello": state.get("hello", 1) + 5}

    original = {"data": {}}
    result = combine(fn(record), fn(record))(original)
    assert result == {"data": {}, "hello": 11}
    assert seen[0] == original and seen[0] is not original


def test_combine_names_the_position_of_a_non_function_when_built():
    with pytest.raises(OperationArgumentError, match=exact(f"combine() needs a function for `operations[2]`, got None. {STATE_FIX}")):
        combine(fn(add_count), None)


def test_each_runs_the_operation_per_item_with_data_and_index_and_threads_state():
    calls = []

    def register(state):
        calls.append((state["data"]["name"], state["index"]))
        return {**state, "registered": [*state.get("registered", []), state["data"]["case_id"]]}

    result = each("$.data.patients[*]", fn(register))(patients_state())
    assert calls == [("Jack Wilshere", 0), ("Larry Bird", 1), ("Aleksa Iwobi", 2)]
    assert result == {
        "data": PATIENTS[2],
        "references": [],
        "index": 2,
        "registered": ["case-7f3a", "case-91bc", "case-02de"],
    }


def test_each_over_a_path_without_star_sees_the_whole_list_as_one_item_like_jsonpath_plus():
    result = each("$.data.patients", fn(lambda state: {**state, "seen": state["data"]}))(patients_state())
    assert result["seen"] == PATIENTS and result["index"] == 0


@pytest.mark.parametrize("source", [PATIENTS, tuple(PATIENTS), lambda state: state["data"]["patients"], data_value("patients")])
def test_each_takes_a_list_or_a_function_of_state(source):
    result = each(source, fn(lambda state: {**state, "names": [*state.get("names", []), state["data"]["name"]]}))(patients_state())
    assert result["names"] == ["Jack Wilshere", "Larry Bird", "Aleksa Iwobi"]


def test_each_with_index_reference_collects_positions():
    operation = each("$.data.patients[*]", fn(lambda state: {**state, "references": [*state["references"], index()(state)]}))
    assert operation(patients_state())["references"] == [0, 1, 2]


def test_each_over_no_items_returns_the_state_unchanged():
    state = {"data": {"patients": []}, "references": []}
    assert each("$.data.patients[*]", fn(add_count))(state) == state


@pytest.mark.parametrize(
    ("source", "shown"),
    [(None, "None"), (0, "int 0"), ({"a": 1}, "dict {'a': 1}"), (False, "bool False")],
)
def test_each_refuses_a_data_source_it_cannot_read_when_built(source, shown):
    message = f"each() needs a JSONPath string, a list or a function of state for `data_source`, got {shown}. {SOURCE_FIX}"
    with pytest.raises(OperationArgumentError, match=exact(message)):
        each(source, fn(add_count))


def test_each_refuses_an_empty_path_when_built():
    message = "each() needs a JSONPath string for `data_source`, got str ''. Fix: Write a JSONPath such as '$.data.name', '$.data.items[*].id' or '$..case_id'."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        each("", fn(add_count))


def test_each_refuses_invalid_jsonpath_syntax_when_built():
    with pytest.raises(OperationArgumentError, match=r"^each\(\) got an invalid JSONPath '\$\.data\.patients\[' for `data_source` \(Parse error"):
        each("$.data.patients[", fn(add_count))


def test_each_refuses_a_non_function_operation_when_built():
    with pytest.raises(OperationArgumentError, match=exact(f"each() needs a function for `operation`, got str 'post'. {STATE_FIX}")):
        each("$.data.patients[*]", "post")


def test_each_says_when_the_function_data_source_gives_no_list():
    with pytest.raises(TypeError, match=exact("each(): `data_source` gave None instead of a list of items.")):
        each(data_value("missing"), fn(add_count))(patients_state())


def test_each_says_when_the_inner_operation_returns_no_state():
    message = "each(): an inner operation returned None instead of the next state (a dict); make every operation return the state."
    with pytest.raises(TypeError, match=exact(message)):
        each("$.data.patients[*]", fn(lambda state: None))(patients_state())


def test_map_replaces_data_with_the_callback_results():
    operation = map("$.data.patients[*]", lambda patient, position, state: {"id": position + 1, "name": patient["name"], "n": len(state["data"]["patients"])})
    assert operation(patients_state()) == {
        "data": [{"id": 1, "name": "Jack Wilshere", "n": 3}, {"id": 2, "name": "Larry Bird", "n": 3}, {"id": 3, "name": "Aleksa Iwobi", "n": 3}],
        "references": [],
    }


def test_map_calls_a_one_argument_callback_with_the_item_alone():
    assert map(["a", "b"], str.upper)({"data": None}) == {"data": ["A", "B"]}
    assert map("$.data.patients[*].age", lambda age: age * 2)(patients_state())["data"] == [74, 82, 74]


def test_map_is_exported_under_both_names():
    assert map is map_
    assert map_(["x"], lambda item: item).__openfn_name__ == "map"


def test_map_refuses_a_non_function_callback_when_built():
    message = "map() needs a function for `callback`, got dict {}. Fix: Pass a function taking (item, index, state) and returning the new item."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        map("$.data.patients[*]", {})


def test_group_groups_items_by_a_nested_key_path():
    result = group("$.data.patients[*]", "address.district")(patients_state())
    assert result == {"data": {"Kisumu": [PATIENTS[0], PATIENTS[2]], "Siaya": [PATIENTS[1]]}, "references": []}


def test_group_names_groups_as_javascript_text_and_leaves_out_items_without_the_key():
    items = [{"age": 37}, {"age": 37.0}, {"age": True}, {"age": None}, {"name": "no age"}]
    assert group(items, "age")({})["data"] == {"37": [{"age": 37}, {"age": 37.0}], "true": [{"age": True}], "null": [{"age": None}]}


def test_group_resolves_the_array_and_key_path_from_state_and_calls_the_callback():
    state = {"path": "address.district", "data": PATIENTS}
    result = group(lambda state: state["data"], lambda state: state["path"], lambda state: {**state, "districts": sorted(state["data"])})(state)
    assert result["districts"] == ["Kisumu", "Siaya"]


def test_group_takes_a_key_path_as_a_list_of_keys_or_a_number_from_state():
    rows = [["Kisumu", 37], ["Siaya", 41], ["Kisumu", 29]]
    assert group(rows, lambda state: 0)({})["data"] == {"Kisumu": [rows[0], rows[2]], "Siaya": [rows[1]]}
    assert group(PATIENTS, ["address", "district"])({})["data"] == {"Kisumu": [PATIENTS[0], PATIENTS[2]], "Siaya": [PATIENTS[1]]}


def test_group_refuses_an_empty_key_path_when_built():
    message = "group() needs a key path such as 'address.city' for `key_path`, got str ''. Fix: Pass the path of the value to group by."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        group(PATIENTS, "")


def test_as_keeps_the_result_under_a_key_and_restores_data():
    operation = as_("grouped", group("$.data.patients[*]", "address.district"))
    result = operation(patients_state())
    assert result == {
        "data": {"patients": PATIENTS},
        "references": [],
        "grouped": {"Kisumu": [PATIENTS[0], PATIENTS[2]], "Siaya": [PATIENTS[1]]},
    }


def test_as_keeps_other_changes_the_operation_made():
    operation = as_(lambda state: "visits", fn(lambda state: {**state, "data": [1, 2], "cursor": "2024-01-01"}))
    assert operation({"data": "form", "references": []}) == {"data": "form", "references": [], "visits": [1, 2], "cursor": "2024-01-01"}


def test_as_refuses_a_key_that_is_not_text_when_built():
    message = "as_() needs a state key for `key`, got int 3. Fix: Name the key to store the result under, such as 'patients'."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        as_(3, fn(add_count))
