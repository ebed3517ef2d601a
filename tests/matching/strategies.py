"""Hypothesis strategies for JSON documents and for fragments that are often contained in them.

Values are kept small and collide often (few keys, few strings, numbers spelled several ways) so that
containment is true about as often as it is false.
"""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import strategies as st

KEYS = st.sampled_from(["a", "b", "c", "formID", "@xmlns", "\u00e9", "e\u0301", ""])
STRINGS = st.one_of(
    st.sampled_from(["", "a", "b", "1", "true", "null", "\u00e9", "e\u0301", "A", "a "]),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=3),
)
NUMBERS = st.one_of(
    st.integers(-2, 3),
    st.sampled_from([Decimal("1.0"), Decimal("1E+2"), Decimal("0.10"), Decimal("-0"), Decimal("2.50"),
                     Decimal("1e-30"), Decimal("0.1"), 100, 10**30, Decimal("1" + "0" * 30 + ".000")]),
)
SCALARS = st.one_of(STRINGS, NUMBERS, st.booleans(), st.none())
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(KEYS, children, max_size=4),
    ),
    max_leaves=12,
)
DOCUMENTS = st.one_of(st.dictionaries(KEYS, JSON_VALUES, max_size=5), JSON_VALUES)


def _variant(scalar):
    """Another spelling of the same jsonb scalar, or a near miss that Python alone would confuse."""
    if scalar is True:
        return [True, 1, "true"]
    if scalar is False:
        return [False, 0]
    if isinstance(scalar, (int, Decimal)):
        sign, digits, exponent = Decimal(scalar).as_tuple()
        trailing_zero = Decimal((sign, (*digits, 0), exponent - 1))  # 1 -> 1.0, 1E+2 -> 1.0E+2
        return [scalar, trailing_zero, str(scalar), scalar == 1, scalar + 1]
    if isinstance(scalar, str):
        return [scalar, scalar.upper(), scalar + " "]
    return [scalar, False]


@st.composite
def derived(draw, value, depth=0):
    """A fragment built from ``value``: a sub-tree, an array subset, a number variant, or a mutation."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)
    if isinstance(value, dict):
        keys = draw(st.lists(st.sampled_from(sorted(value)), unique=True)) if value else []
        fragment = {key: draw(derived(value[key], depth + 1)) for key in keys}
        if draw(st.integers(0, 6)) == 0:
            fragment[draw(KEYS)] = draw(SCALARS)
        return fragment
    if isinstance(value, list):
        picked = draw(st.lists(st.sampled_from(value), max_size=3)) if value else []
        fragment = [draw(derived(item, depth + 1)) for item in picked]
        if depth == 0 and value and draw(st.integers(0, 5)) == 0:
            return draw(derived(draw(st.sampled_from(value)), depth + 1))  # a bare element of a top array
        return fragment
    variant = draw(st.sampled_from(_variant(value)))
    if depth == 0 and draw(st.integers(0, 5)) == 0:
        return [variant]  # a raw scalar never contains an array
    return variant


@st.composite
def document_and_fragments(draw, count=8):
    document = draw(DOCUMENTS)
    fragments = draw(st.lists(st.one_of(derived(document), JSON_VALUES), min_size=1, max_size=count))
    return document, fragments


def to_json(value) -> str:
    """JSON text for a value with Decimal numbers, spelled as the Decimal prints (1E+2, -0, 0.10)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {to_json(item)}"
                               for key, item in value.items()) + "}"
    return "[" + ", ".join(to_json(item) for item in value) + "]"


def from_json(text: str):
    return json.loads(text, parse_float=Decimal)
