"""FilterIndex gives exactly the naive loop's answer, and files each filter under its rarest leaf."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openfn.match_index import FilterIndex, leaf_tokens
from openfn.matching import matches
from tests.matching.strategies import DOCUMENTS, JSON_VALUES, derived, from_json
from tests.matching.test_golden import GOLDEN


def naive(entries, body):
    return [key for key, inclusion, exclusion in entries if matches(body, inclusion, exclusion)]


@st.composite
def filters_and_bodies(draw):
    """Filters derived from a few bodies (so many match), some exclusions, and bodies to route."""
    bodies = draw(st.lists(DOCUMENTS, min_size=1, max_size=4))
    entries = []
    for number in range(draw(st.integers(1, 12))):
        source = draw(st.sampled_from(bodies))
        inclusion = draw(st.one_of(derived(source), JSON_VALUES))
        exclusion = draw(st.one_of(st.none(), derived(source), JSON_VALUES))
        entries.append((f"job-{number}", inclusion, exclusion))
    return entries, bodies + draw(st.lists(DOCUMENTS, max_size=2))


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(case=filters_and_bodies())
def test_index_equals_the_naive_loop_on_generated_filters(case):
    entries, bodies = case
    index = FilterIndex(entries)
    for body in bodies:
        assert index.matching(body) == naive(entries, body)


def test_index_equals_the_naive_loop_on_the_golden_table():
    documents = [from_json(document) for _, document, _, _ in GOLDEN]
    entries = [(name, from_json(fragment), None) for name, _, fragment, _ in GOLDEN]
    index = FilterIndex(entries)
    for document in documents:
        assert index.matching(document) == naive(entries, document)


def test_index_finds_every_golden_match_and_only_those():
    for name, document, fragment, expected in GOLDEN:
        index = FilterIndex([(name, from_json(fragment), None)])
        assert index.matching(from_json(document)) == ([name] if expected else [])


def test_filter_is_filed_under_its_rarest_leaf():
    index = FilterIndex([
        ("p.register", {"type": "submission", "formID": "registration"}, None),
        ("p.visit", {"type": "submission", "formID": "visit"}, None),
        ("p.any-submission", {"type": "submission"}, None),
        ("p.commcare", {"form": {"@xmlns": "http://x/1", "meta": {"app": "a"}}, "type": "submission"}, None),
    ])
    assert index.placement() == [
        ("p.register", (("formID",), "registration")),
        ("p.visit", (("formID",), "visit")),
        ("p.any-submission", (("type",), "submission")),
        ("p.commcare", (("form", "@xmlns"), "http://x/1")),
    ]


def test_rarity_counts_filters_not_occurrences_and_ties_go_to_the_first_leaf():
    index = FilterIndex([
        ("a", {"tags": ["x", "x", "x"], "n": 1}, None),
        ("b", {"n": Decimal("1.0")}, None),
        ("c", {"tags": ["y"]}, None),
    ])
    assert index.placement() == [("a", (("tags",), "x")), ("b", (("n",), 1)), ("c", (("tags",), "y"))]


def test_filters_without_a_scalar_leaf_are_checked_for_every_body():
    entries = [
        ("empty", {}, None),
        ("empty-array", {"a": []}, None),
        ("empty-nested", {"a": [{}], "b": {"c": [[]]}}, None),
        ("form", {"formID": "x"}, None),
    ]
    index = FilterIndex(entries)
    assert index.placement() == [
        ("empty", None), ("empty-array", None), ("empty-nested", None), ("form", (("formID",), "x")),
    ]
    assert index.matching({"a": [{"z": 1}], "b": {"c": [[2]]}}) == ["empty", "empty-array", "empty-nested"]
    assert index.matching({"formID": "x"}) == ["empty", "form"]
    assert index.matching([{"formID": "x"}]) == []


def test_leaf_tokens_see_through_arrays_and_keep_bools_apart_from_numbers():
    tokens = leaf_tokens({"data": [{"ok": True, "n": [1, [1.0]]}], "x": None})
    assert [(path, repr(value)) for path, value in tokens] == [
        (("data", "ok"), "true"), (("data", "n"), "1"), (("x",), "None"),
    ]


def test_bool_filter_is_not_found_by_a_number_and_vice_versa():
    index = FilterIndex([("bool", {"v": True}, None), ("one", {"v": 1}, None)])
    assert index.matching({"v": 1}) == ["one"]
    assert index.matching({"v": True}) == ["bool"]
    assert index.matching({"v": Decimal("1.000")}) == ["one"]


def test_top_level_array_body_finds_bare_scalar_filter_but_nested_array_does_not():
    index = FilterIndex([("scalar", "x", None), ("array", ["x"], None)])
    assert index.matching(["y", "x"]) == ["scalar", "array"]
    assert index.matching("x") == ["scalar"]
    assert index.matching({"a": ["x"]}) == []
    assert index.matching([["x"]]) == []


def test_exclusion_removes_an_indexed_match():
    index = FilterIndex([("survey", {"form": "bns_survey"}, {"body": {"survey_type": "practice"}})])
    assert index.matching({"form": "bns_survey", "body": {"survey_type": "practice"}}) == []
    assert index.matching({"form": "bns_survey", "body": {"survey_type": "real"}}) == ["survey"]


def test_candidates_are_few_among_many_filters():
    entries = [(n, {"formID": f"form-{n}"}, None) for n in range(10_000)]
    index = FilterIndex(entries)
    assert index.candidates({"formID": "form-1234", "other": list(range(50))}) == [1234]
