"""parse_csv: records, options, chunks through a callback or compose_next_state, errors."""

from __future__ import annotations

import io

import pytest

from openfn.adaptors.common import data_value, parse_csv
from openfn.errors import OperationArgumentError
from tests.adaptors.helpers import exact

PATIENTS_CSV = "name,age,district\nJack Wilshere, 37 ,Kisumu\n\nLarry Bird,41,Siaya\n"


def test_records_become_data_and_the_old_data_a_reference():
    result = parse_csv(PATIENTS_CSV)({"data": {"upload": 1}, "references": []})
    assert result == {
        "data": [{"name": "Jack Wilshere", "age": "37", "district": "Kisumu"}, {"name": "Larry Bird", "age": "41", "district": "Siaya"}],
        "references": [{"upload": 1}],
    }


def test_each_chunk_goes_to_the_callback_which_returns_the_next_state():
    csv_text = "a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n13,14,15"

    def collect(state, rows):
        return {**state, "data": rows, "items": [*state["items"], *rows]}

    result = parse_csv(csv_text, collect, chunk_size=2)({"references": [], "data": [], "items": []})
    assert result["data"] == [{"a": "13", "b": "14", "c": "15"}]
    assert [item["a"] for item in result["items"]] == ["1", "4", "7", "10", "13"]


def test_without_a_callback_each_chunk_is_composed_into_the_next_state():
    result = parse_csv("n\n1\n2\n3", chunk_size=2)({"data": None, "references": []})
    assert result == {"data": [{"n": "3"}], "references": [None, [{"n": "1"}, {"n": "2"}]]}


def test_no_records_leave_the_state_unchanged():
    state = {"data": {}, "references": []}
    assert parse_csv("a,b\n")(state) is state


def test_csv_data_and_options_may_come_from_state():
    state = {"data": {"file": "name;age\nJack;37"}, "separator": ";"}
    result = parse_csv(data_value("file"), delimiter=lambda state: state["separator"])(state)
    assert result["data"] == [{"name": "Jack", "age": "37"}]


def test_streams_bytes_and_a_byte_order_mark_are_read():
    assert parse_csv(io.StringIO("\ufeffid\n1\n"))({})["data"] == [{"id": "1"}]
    assert parse_csv("id\n2\n".encode())({})["data"] == [{"id": "2"}]


def test_options_give_lists_named_columns_untrimmed_fields_and_empty_lines():
    assert parse_csv("1, 2\n", columns=False, trim=False, ltrim=False, rtrim=False)({})["data"] == [["1", " 2"]]
    assert parse_csv("1,2\n", columns=["a", "b"])({})["data"] == [{"a": "1", "b": "2"}]
    assert parse_csv("x\n\n", columns=False, skip_empty_lines=False)({})["data"] == [["x"], [""]]


def test_quoted_fields_keep_delimiters_and_doubled_quotes():
    assert parse_csv('note\n"fever, cough ""severe"""\n')({})["data"] == [{"note": 'fever, cough "severe"'}]


def test_a_record_of_the_wrong_length_fails_the_run_like_csv_parse():
    with pytest.raises(ValueError, match=exact("Invalid Record Length: columns length is 3, got 4 on line 2")):
        parse_csv("a,b,c\n1,2,3,8\n4,5,6", lambda state, rows: state)({})


def test_data_that_is_not_csv_text_fails_the_run_with_a_sentence():
    with pytest.raises(TypeError, match=exact("parse_csv(): the CSV data is None, not text, bytes or a stream of lines.")):
        parse_csv(data_value("missing"))({"data": {}})


@pytest.mark.parametrize(("size", "shown"), [(0, "int 0"), (-1, "int -1"), (1.5, "float 1.5"), (True, "bool True")])
def test_a_chunk_size_below_one_is_refused_when_built(size, shown):
    message = f"parse_csv() needs a whole number of at least 1 for `chunk_size`, got {shown}. Fix: Pass how many records each chunk holds, or leave it out for one chunk."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        parse_csv("a\n1", chunk_size=size)


def test_a_chunk_size_from_state_is_checked_when_the_operation_runs():
    operation = parse_csv("a\n1", chunk_size=lambda state: 0)
    with pytest.raises(ValueError, match=exact("parse_csv() needs a whole number of at least 1 for `chunk_size`, got int 0.")):
        operation({})


def test_unknown_options_are_refused_when_built():
    message = "parse_csv() got unknown options: chunkSize. Fix: Use only: delimiter, quote, escape, columns, bom, trim, ltrim, rtrim, skip_empty_lines, chunk_size."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        parse_csv("a\n1", chunkSize=2)


def test_a_delimiter_of_several_characters_is_read_like_csv_parse():
    assert parse_csv("a||b\n1||2\n3|4||5", delimiter="||")({})["data"] == [{"a": "1", "b": "2"}, {"a": "3|4", "b": "5"}]


def test_trimming_keeps_the_spaces_inside_quotes_and_skips_lines_of_spaces():
    assert parse_csv('a,b\n " x " ,  y  \n   \n')({})["data"] == [{"a": " x ", "b": "y"}]


@pytest.mark.parametrize(("text", "message"), [
    ('a,b\nx"y,2', 'Invalid Opening Quote: a quote is found on field "a" at line 2, value is "x"'),
    ('a,b\n"x,2', "Quote Not Closed: the parsing is finished with an opening quote at line 2"),
    ('a,b\n"x"y,2', 'Invalid Closing Quote: got "y" at line 2 instead of delimiter, record delimiter, trimable character (if activated) or comment'),
])  # fmt: skip
def test_malformed_quoting_fails_the_run_with_csv_parse_messages(text, message):
    with pytest.raises(ValueError, match=exact(message)):
        parse_csv(text)({})


def test_a_callback_that_is_not_a_function_is_refused_when_built():
    message = "parse_csv() needs a function for `callback`, got str 'save'. Fix: Pass a function taking (state, rows) and returning the next state."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        parse_csv("a\n1", "save")
