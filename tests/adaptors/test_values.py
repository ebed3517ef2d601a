"""Plain helpers: field, fields, chunk, array_to_string, to_array, human_proper, split_keys, scrub_emojis."""

from __future__ import annotations

import logging

import pytest

from openfn.adaptors.common import array_to_string, chunk, field, fields, human_proper, scrub_emojis, split_keys, to_array
from openfn.errors import OperationArgumentError
from tests.adaptors.helpers import exact


def test_fields_zips_field_pairs_into_a_dict_later_ones_winning():
    assert field("sex", "F") == ("sex", "F")
    assert fields(field("name", "Jack"), field("sex", "M"), ("sex", "F")) == {"name": "Jack", "sex": "F"}


def test_field_refuses_a_key_that_is_not_text():
    with pytest.raises(OperationArgumentError, match=exact("field() needs a string key, got int 1. Fix: Name the field with a string.")):
        field(1, "x")


def test_fields_refuses_something_that_is_not_a_pair():
    with pytest.raises(OperationArgumentError, match=exact("fields() needs (key, value) pairs, got str 'name'. Fix: Build each pair with field(key, value).")):
        fields("name")


def test_chunk_cuts_a_list_into_lists_of_at_most_size_items():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunk((1, 2), 5) == [[1, 2]]
    assert chunk([], 3) == []


@pytest.mark.parametrize(("size", "shown"), [(0, "int 0"), (-2, "int -2"), ("2", "str '2'"), (None, "None")])
def test_chunk_refuses_a_size_below_one(size, shown):
    message = f"chunk() needs a whole number of at least 1 for `size`, got {shown}. Fix: Pass the largest number of items a chunk may hold, such as 100."
    with pytest.raises(OperationArgumentError, match=exact(message)):
        chunk([1, 2], size)


def test_chunk_refuses_something_that_is_not_a_list():
    with pytest.raises(OperationArgumentError, match=exact("chunk() needs a list for `array`, got dict {'a': 1}. Fix: Pass the list of items to cut into chunks.")):
        chunk({"a": 1}, 2)


def test_array_to_string_joins_like_javascript():
    assert array_to_string([1, 2, 3], ", ") == "1, 2, 3"
    assert array_to_string([1, 2, 3]) == "1,2,3"
    assert array_to_string(["a", None, True, 2.0, [3, 4]], "|") == "a||true|2|3,4"


def test_to_array_copies_lists_and_wraps_anything_else():
    visits = [1, 2, 3]
    assert to_array(visits) == [1, 2, 3] and to_array(visits) is not visits
    assert to_array({"a": 1}) == [{"a": 1}]
    assert to_array("a") == ["a"]
    assert to_array(None) == [None]


def test_human_proper_turns_field_names_into_titles():
    assert human_proper("patient_first-name") == "Patient First Name"
    assert human_proper("dOB") == "Dob"
    assert human_proper(42) == 42


def test_split_keys_separates_the_listed_keys():
    assert split_keys({"a": 1, "b": 2, "c": 3}, ["b"]) == ({"a": 1, "c": 3}, {"b": 2})
    assert split_keys({}, ["b"]) == ({}, {})


def test_scrub_emojis_replaces_each_emoji_code_point():
    assert scrub_emojis("This is a dove\U0001f54a\ufe0f\u2b50_29 Jul 2021") == "This is a dove\ufffd\ufffd\ufffd_29 Jul 2021"
    assert scrub_emojis("Dove\U0001f54a\ufe0f 29", "?") == "Dove?? 29"
    assert scrub_emojis("caf\u00e9 \\1", "*") == "caf\u00e9 \\1"
    assert scrub_emojis("") == "" and scrub_emojis(None) is None


def test_scrub_emojis_warns_when_removing_characters(caplog):
    with caplog.at_level(logging.WARNING, logger="openfn.job"):
        assert scrub_emojis("ok\u2705", "") == "ok"
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert caplog.records[0].getMessage().startswith("Removing characters from a string may create injection vulnerabilities;")
