"""Large bodies are checked in one pass and cut down to what the filters look at: the projected body
matches every filter exactly as the whole body does, and checking costs memory independent of the body
(a dense 8 MiB body parsed whole is ~400 MB of Python objects)."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings

from openfn.errors import InvalidBody
from openfn.inbox.bodies.json_parsing import parse_message, walk
from openfn.inbox.bodies.filter_shape import OTHER, Shape
from openfn.match_index import FilterIndex
from openfn.matching import contains, matches
from tests.matching.strategies import document_and_fragments, from_json, to_json

MIB = 1024 * 1024


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=document_and_fragments())
def test_projected_body_contains_exactly_what_the_whole_body_contains(case):
    document, fragments = case
    text = to_json(document)
    whole = from_json(text)
    filters = [fragment for fragment in fragments if isinstance(fragment, (dict, list))]
    shape = Shape.of(filters)
    for projected in (walk(text, max_depth=64, shape=shape), shape.project(whole)):
        assert [contains(projected, f) for f in filters] == [contains(whole, f) for f in filters]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=document_and_fragments())
def test_filter_index_on_the_projection_picks_the_same_jobs(case):
    document, fragments = case
    text = to_json(document)
    filters = [fragment for fragment in fragments if isinstance(fragment, (dict, list))]
    entries = [(n, f, filters[n - 1] if n % 3 == 0 and n else None) for n, f in enumerate(filters)]
    index = FilterIndex(entries)
    projected = walk(text, max_depth=64, shape=Shape.of(f for _, i, e in entries for f in (i, e)))
    whole = from_json(text)
    assert index.matching(projected) == index.matching(whole)
    assert [matches(projected, i, e) for _, i, e in entries] == [matches(whole, i, e) for _, i, e in entries]


def test_whitespace_between_tokens_changes_nothing():
    shape = Shape.of([{"a": [1]}, {"b": {}}])
    compact = '[{"a":[1,2,{}],"b":{"c":[]},"d":[[],{}]},1,"x",[],{}]'
    spaced = '[ {\n "a" : [ 1 ,\t2 , { } ] ,\r\n "b" : { "c" : [ ] } , "d" : [ [ ] , { } ] } , 1 , "x" , [ ] , { } ]'
    assert walk(spaced, max_depth=64, shape=shape) == walk(compact, max_depth=64, shape=shape) == shape.project(json.loads(compact))


def test_other_equals_nothing_not_even_itself():
    assert (OTHER == OTHER, OTHER == "\x00openfn:other", OTHER != OTHER, contains({"a": OTHER}, {"a": "\x00openfn:other"})) == (False, False, True, False)


def test_projection_keeps_the_filtered_paths_and_one_of_each_irrelevant_value():
    shape = Shape.of([{"form": {"id": "x"}}, {"tags": ["urgent"]}])
    text = '{"form": {"id": "x", "answers": [1, 2, 3]}, "tags": ["a", "urgent", "b", "urgent"], "other": {"deep": [[1]]}}'
    assert walk(text, max_depth=64, shape=shape) == {"form": {"id": "x"}, "tags": [OTHER, "urgent"]}


@pytest.mark.slow  # tracemalloc slows every allocation down
@pytest.mark.parametrize(
    "unit", ["1", "[]", '{"a":1}', "1.5", '"a\\u00e9"', '{"formID":"y"}'],
)
def test_a_dense_body_is_checked_in_little_memory(unit):
    count = (2 * MIB - 2) // (len(unit) + 1)  # 2 MiB: tracemalloc makes every allocation slow
    raw = ("[" + ",".join([unit] * count) + "]").encode()
    shape = Shape.of([{"formID": "x"}, {"form": "case_referral"}])
    tracemalloc.start()
    try:
        value, text = parse_message(raw, max_depth=64, shape=shape, large_bytes=256 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(text) == len(raw)
    assert peak < len(raw) * 1.2  # the text itself (decoded from the bytes), and little more
    assert len(value) <= 3


def test_a_large_body_is_refused_as_a_small_one_would_be():
    big = '{"pad": "' + "x" * 300_000 + '", "a": [1, 2, NaN]}'
    with pytest.raises(InvalidBody, match="^The body contains NaN, which is not a JSON number;"):
        parse_message(big.encode(), max_depth=64, shape=Shape(), large_bytes=1024)
    with pytest.raises(InvalidBody, match=r"^The body is not valid JSON \(Expecting ',' delimiter at line 1, column 300024\);"):
        parse_message(big.replace(", NaN", " 3").encode(), max_depth=64, shape=Shape(), large_bytes=1024)
