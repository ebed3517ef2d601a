"""parse_filter: project.yaml filters as JSON text (OpenFn's export) or YAML values, parsed like the inbox does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import yaml

from openfn.matching import parse_filter


def test_json_text_is_parsed_with_decimals_and_ints():
    parsed = parse_filter('{"formID": "x", "n": 8, "v": 1.50, "e": 1e2, "ok": true, "z": null}')
    assert parsed == {"formID": "x", "n": 8, "v": Decimal("1.50"), "e": Decimal("1E+2"), "ok": True, "z": None}
    assert type(parsed["n"]) is int and type(parsed["v"]) is Decimal and type(parsed["ok"]) is bool


def test_yaml_mapping_is_copied_with_floats_as_the_decimal_they_spell():
    value = yaml.safe_load("criteria: {form: {'@xmlns': 'http://x'}, n: 0.1, tags: [a, 2]}")["criteria"]
    parsed = parse_filter(value)
    assert parsed == {"form": {"@xmlns": "http://x"}, "n": Decimal("0.1"), "tags": ["a", 2]}
    assert type(parsed["n"]) is Decimal


def test_yaml_tuple_becomes_list():
    assert parse_filter({"a": (1, 2)}) == {"a": [1, 2]}


def test_non_object_json_is_allowed_as_postgresql_allows_it():
    assert parse_filter("[1, 2]") == [1, 2]
    assert parse_filter(" 7 ") == 7


def test_invalid_json_names_the_position_and_the_fix():
    with pytest.raises(ValueError, match=(
        r"^the filter is not valid JSON \(Expecting property name enclosed in double quotes at line 1, column 2\); "
        r'write it as a JSON object such as \{"formID": "patient_registration_v7"\}$'
    )):
        parse_filter("{formID: 'x'}")


def test_empty_text_is_refused():
    with pytest.raises(ValueError, match=r"^the filter is empty; write it as a JSON object such as "):
        parse_filter("   ")


def test_nan_is_refused():
    with pytest.raises(ValueError, match="^the filter contains NaN, which is not JSON; use a number or a string$"):
        parse_filter('{"n": NaN}')


def test_yaml_infinite_float_is_refused_with_its_path():
    with pytest.raises(ValueError, match="^the filter has inf at a.b, which is not a JSON number; use a finite number$"):
        parse_filter({"a": {"b": float("inf")}})


def test_nul_character_is_refused_because_jsonb_cannot_hold_it():
    with pytest.raises(ValueError, match=r"^the filter has a \\u0000 character at a, which jsonb cannot hold; remove it$"):
        parse_filter('{"a": "x\\u0000"}')


def test_lone_surrogate_is_refused():
    with pytest.raises(ValueError, match="^the filter has a lone surrogate escape at a\\[0\\]; write the character itself$"):
        parse_filter('{"a": ["\\ud800"]}')


def test_yaml_date_is_refused_with_a_hint_to_quote_it():
    with pytest.raises(ValueError, match=(
        r"^the filter has a date value datetime.date\(2016, 1, 15\) at submissionDate, which is not JSON; "
        r"quote it in the YAML to match a string$"
    )):
        parse_filter({"submissionDate": date(2016, 1, 15)})


def test_yaml_non_string_key_is_refused():
    with pytest.raises(ValueError, match="^the filter has the non-string key 1 at a; quote it, JSON keys are strings$"):
        parse_filter({"a": {1: "x"}})


def test_utf8_bytes_are_parsed_and_other_bytes_refused():
    assert parse_filter('{"name": "P\u00e9p\u00e9"}'.encode()) == {"name": "P\u00e9p\u00e9"}
    with pytest.raises(ValueError, match=r"^the filter is not UTF-8 \(byte 11\); save the file as UTF-8$"):
        parse_filter(b'{"name": "P\xe9p\xe9"}')
