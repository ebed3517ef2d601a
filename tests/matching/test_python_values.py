"""Containment on values that did not come from JSON text: Python's bool-is-int, floats, tuples, subclasses."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from decimal import Decimal

import pytest

from openfn.matching import contains


def test_python_true_is_not_the_number_1():
    assert contains({"a": True}, {"a": 1}) is False
    assert contains({"a": 1}, {"a": True}) is False
    assert contains({"a": [1, 0]}, {"a": [True]}) is False
    assert contains({"a": [True]}, {"a": [1]}) is False
    assert contains([1], True) is False
    assert contains(True, 1) is False


def test_python_false_is_not_the_number_0():
    assert contains({"a": [0]}, {"a": [False]}) is False
    assert contains(0, False) is False


def test_python_bools_equal_bools():
    assert contains({"a": [False, True]}, {"a": [True]}) is True
    assert contains(False, False) is True


def test_float_compares_as_the_decimal_it_spells():
    assert contains({"n": 0.1}, {"n": Decimal("0.1")}) is True
    assert contains({"n": Decimal("0.10")}, {"n": 0.1}) is True
    assert contains({"n": [0.1]}, {"n": [Decimal("0.1")]}) is True
    assert contains({"n": 1.0}, {"n": 1}) is True
    assert contains({"n": 0.1}, {"n": Decimal("0.1000000000000000055511151231257827")}) is False


def test_int_and_decimal_compare_exactly():
    assert contains({"n": 10**40}, {"n": Decimal("1E+40")}) is True
    assert contains({"n": 10**40 + 1}, {"n": Decimal("1E+40")}) is False


def test_tuples_are_arrays_and_mapping_subclasses_are_objects():
    assert contains(OrderedDict(a=(1, 2)), {"a": [2]}) is True
    assert contains({"a": [1, 2]}, OrderedDict(a=(2,))) is True


def test_str_subclass_is_a_string():
    class Tag(str):
        pass

    assert contains({"a": Tag("x")}, {"a": "x"}) is True
    assert contains({"a": ["x"]}, {"a": [Tag("x")]}) is True


def test_value_that_is_not_json_raises_type_error():
    with pytest.raises(TypeError, match="^date is not a JSON value; parse messages and filters with json.loads$"):
        contains({"d": date(2016, 1, 15)}, {"d": "2016-01-15"})
