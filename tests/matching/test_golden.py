"""The golden table of jsonb containment: every case is checked against the matcher and a real PostgreSQL.

Each row is (document, fragment, PostgreSQL's ``document::jsonb @> fragment::jsonb``), as JSON text. The
same text is parsed with ``json.loads(parse_float=Decimal)`` for the matcher and sent to PostgreSQL, so
the table itself is verified, not just the code.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from openfn.matching import contains, matches

# The seed's "Filter Matching in Detail" messages.
MESSAGE_A = ('{"submissionDate": "2016-01-15", "formID": "patient_registration_v7", "name": "Jack Wilshere",'
             ' "dob": "1986-05-16", "medications": ["anaphlene", "zaradood", "morphofast"]}')
MESSAGE_B = ('{"submissionDate": "2016-01-16", "formID": "patient_registration_v8", "name": "Larry Bird",'
             ' "dob": "1982-03-21", "medications": ["anaphlene", "zaradood", "morphofast"]}')
MESSAGE_C = '{"submissionDate": "2016-01-15", "name": "john doe", "dob": "1986-05-16"}'
MESSAGE_D = '{"submissionDate": "2016-01-15", "name": "john doe", "dob": "1986-05-16", "allowedToShare": false}'
FILTER_1 = '{ "formID": "patient_registration_v7" }'
FILTER_2_INCLUSION = '{ "name": "john doe" }'
FILTER_2_EXCLUSION = '{"allowedToShare": false}'

ODK = ('{"formId": "outlet_visit", "data": [{"outlet_call": "TRUE", "new_existing": "Existing", "gps": "1 2"},'
       ' {"outlet_call": "FALSE", "new_existing": "New"}]}')
ODK_FILTER = '{ "data": [{ "outlet_call": "TRUE", "new_existing": "Existing" }] }'
XMLNS = "http://openrosa.org/formdesigner/5A1B2C3D"
COMMCARE = f'{{"form": {{"@xmlns": "{XMLNS}", "@name": "Register", "case": {{"@case_id": "c1"}}}}, "domain": "d"}}'

COMPOSED = "P\u00e9p\u00e9"  # é as one code point
DECOMPOSED = "Pe\u0301pe\u0301"  # e + combining acute accent: looks the same, is not equal

GOLDEN = [
    # Seed filters 1 and 2 with messages a-d.
    ("seed-a-matches-filter-1", MESSAGE_A, FILTER_1, True),
    ("seed-b-misses-filter-1", MESSAGE_B, FILTER_1, False),
    ("seed-c-matches-filter-2-inclusion", MESSAGE_C, FILTER_2_INCLUSION, True),
    ("seed-c-misses-filter-2-exclusion", MESSAGE_C, FILTER_2_EXCLUSION, False),
    ("seed-d-matches-filter-2-inclusion", MESSAGE_D, FILTER_2_INCLUSION, True),
    ("seed-d-matches-filter-2-exclusion", MESSAGE_D, FILTER_2_EXCLUSION, True),
    # The seed's "More filter samples".
    ("seed-formId", '{"formId": "Robot_Photo_21.04.2015", "x": 1}', '{ "formId": "Robot_Photo_21.04.2015" }', True),
    ("seed-odk-two-fragments-in-one-element", ODK, ODK_FILTER, True),
    ("seed-odk-fragments-split-over-elements",
     '{"data": [{"outlet_call": "TRUE"}, {"new_existing": "Existing"}]}', ODK_FILTER, False),
    ("seed-this-and-that", '{"formId": "Robot_Photo_21.04.2015", "secret_number": 8, "y": 2}',
     '{ "formId": "Robot_Photo_21.04.2015", "secret_number": 8 }', True),
    ("seed-this-but-not-that", '{"formId": "Robot_Photo_21.04.2015", "secret_number": 9}',
     '{ "formId": "Robot_Photo_21.04.2015", "secret_number": 8 }', False),
    ("seed-secret-number-as-string", '{"formId": "Robot_Photo_21.04.2015", "secret_number": "8"}',
     '{ "formId": "Robot_Photo_21.04.2015", "secret_number": 8 }', False),
    ("seed-exclusion-safeToProcess", '{"formId": "Robot_Photo_21.04.2015", "safeToProcess": false}',
     '{ "safeToProcess": false }', True),
    ("seed-form-xmlns", COMMCARE, f'{{"form": {{"@xmlns": "{XMLNS}"}}}}', True),
    ("seed-form-xmlns-other-form", COMMCARE, '{"form": {"@xmlns": "http://openrosa.org/formdesigner/X"}}', False),
    ("seed-form-xmlns-empty-string", COMMCARE, '{"form": {"@xmlns": ""}}', False),
    ("seed-form-xmlns-not-searched-deep", f'{{"meta": {COMMCARE}}}', f'{{"form": {{"@xmlns": "{XMLNS}"}}}}', False),
    ("seed-bns-survey-practice-excluded", '{"form": "bns_survey", "body": {"survey_type": "practice", "n": 3}}',
     '{"body": {"survey_type": "practice"}}', True),
    # Scalars: jsonb equality.
    ("int-equals-int", "1", "1", True),
    ("int-equals-decimal-1.0", "1", "1.0", True),
    ("decimal-1.00-equals-int", "1.00", "1", True),
    ("exponent-1e2-equals-100", "1e2", "100", True),
    ("100-equals-1E+2", "100", "1E+2", True),
    ("0.1-equals-0.10", "0.1", "0.10", True),
    ("0.1-differs-from-0.11", "0.1", "0.11", False),
    ("minus-zero-equals-zero", "-0", "0", True),
    ("exact-decimal-beyond-double", "0.30000000000000000000000000000001", "0.3", False),
    ("tiny-exponent-equals-long-decimal", "1e-30", "0.000000000000000000000000000001", True),
    ("big-int-equals-big-decimal", "12345678901234567890123456789012345678901",
     "12345678901234567890123456789012345678901.000", True),
    ("big-ints-differ-in-last-digit", "12345678901234567890123456789012345678901",
     "12345678901234567890123456789012345678902", False),
    ("true-is-not-1", "true", "1", False),
    ("1-is-not-true", "1", "true", False),
    ("0-is-not-false", "0", "false", False),
    ("true-equals-true", "true", "true", True),
    ("false-equals-false", "false", "false", True),
    ("true-is-not-false", "true", "false", False),
    ("null-equals-null", "null", "null", True),
    ("null-is-not-false", "null", "false", False),
    ("string-1-is-not-number-1", '"1"', "1", False),
    ("string-equals-string", '"a"', '"a"', True),
    ("escaped-string-equals-literal", '"\\u00e9"', '"\u00e9"', True),
    # Top level: raw scalars, arrays and objects.
    ("array-contains-bare-scalar", "[1, 2]", "1", True),
    ("array-lacks-bare-scalar", "[1, 2]", "3", False),
    ("array-contains-bare-string", '["a", "b"]', '"a"', True),
    ("array-contains-bare-null", "[null]", "null", True),
    ("nested-array-does-not-contain-bare-scalar", "[[1]]", "1", False),
    ("array-of-1-does-not-contain-bare-true", "[1]", "true", False),
    ("scalar-does-not-contain-array", "1", "[1]", False),
    ("scalar-does-not-contain-empty-array", "1", "[]", False),
    ("string-does-not-contain-its-array", '"a"', '["a"]', False),
    ("empty-array-does-not-contain-empty-object", "[]", "{}", False),
    ("scalar-does-not-contain-empty-object", "1", "{}", False),
    ("string-does-not-contain-empty-object", '"x"', "{}", False),
    ("null-does-not-contain-empty-object", "null", "{}", False),
    ("object-does-not-contain-empty-array", '{"a": 1}', "[]", False),
    ("object-does-not-contain-bare-scalar", '{"a": 1}', "1", False),
    ("array-of-object-does-not-contain-object", '[{"a": 1}]', '{"a": 1}', False),
    ("empty-object-contains-empty-object", "{}", "{}", True),
    ("object-contains-empty-object", '{"a": 1}', "{}", True),
    ("empty-array-contains-empty-array", "[]", "[]", True),
    ("array-contains-empty-array", "[1]", "[]", True),
    ("top-level-array-of-objects", '[{"a": 1, "b": 2}, {"c": 3}]', '[{"a": 1}]', True),
    ("top-level-array-order-irrelevant", '[{"a": 1}, 2]', '[2, {"a": 1}]', True),
    ("top-level-array-needs-every-element", "[1, 2]", "[1, 3]", False),
    # Objects.
    ("object-subset-of-keys", '{"a": 1, "b": 2}', '{"a": 1}', True),
    ("object-missing-a-key", '{"a": 1}', '{"a": 1, "b": 2}', False),
    ("nested-object-subset", '{"a": {"b": 1, "c": 2}}', '{"a": {"b": 1}}', True),
    ("nested-object-missing-key", '{"a": {"b": 1}}', '{"a": {"b": 1, "c": 2}}', False),
    ("nested-empty-object-matches-any-object", '{"a": {"b": {"c": "d"}}}', '{"a": {"b": {}}}', True),
    ("no-search-below-the-given-path", '{"a": {"b": 1}}', '{"b": 1}', False),
    ("null-value-matches-null", '{"a": null}', '{"a": null}', True),
    ("missing-key-is-not-null", "{}", '{"a": null}', False),
    ("empty-array-value-is-not-empty-object", '{"a": []}', '{"a": {}}', False),
    ("empty-object-value-is-not-empty-array", '{"a": {}}', '{"a": []}', False),
    ("nested-array-does-not-contain-scalar", '{"a": [1]}', '{"a": 1}', False),
    ("nested-scalar-does-not-contain-array", '{"a": 1}', '{"a": [1]}', False),
    ("member-1-equals-1.0", '{"a": 1}', '{"a": 1.0}', True),
    ("member-100-equals-1e2", '{"n": 100}', '{"n": 1e2}', True),
    ("member-0.1-equals-0.10", '{"n": 0.1}', '{"n": 0.10}', True),
    ("member-true-is-not-1", '{"a": true}', '{"a": 1}', False),
    ("member-0-is-not-false", '{"a": 0}', '{"a": false}', False),
    ("member-string-is-not-number", '{"a": "1"}', '{"a": 1}', False),
    ("keys-are-case-sensitive", '{"Name": "x"}', '{"name": "x"}', False),
    ("no-whitespace-trimming", '{"a": "x "}', '{"a": "x"}', False),
    ("duplicate-key-last-wins", '{"a": 1, "a": 2}', '{"a": 2}', True),
    ("duplicate-key-first-lost", '{"a": 1, "a": 2}', '{"a": 1}', False),
    # Arrays inside objects.
    ("array-subset-any-order", '{"a": [1, 2, 3]}', '{"a": [3, 1]}', True),
    ("array-duplicates-in-fragment-irrelevant", '{"a": [1, 2]}', '{"a": [1, 1, 1]}', True),
    ("array-missing-element", '{"a": [1]}', '{"a": [1, 2]}', False),
    ("array-element-1.5-equals-1.50", '{"a": [1.5]}', '{"a": [1.50]}', True),
    ("array-string-not-number", '{"a": [1]}', '{"a": ["1"]}', False),
    ("array-with-both-1-and-string-1", '{"a": [1, "1"]}', '{"a": ["1"]}', True),
    ("array-true-is-not-1", '{"a": [1]}', '{"a": [true]}', False),
    ("array-1-is-not-true", '{"a": [true]}', '{"a": [1]}', False),
    ("array-null-element", '{"a": [null, 1]}', '{"a": [null]}', True),
    ("array-no-null-element", '{"a": []}', '{"a": [null]}', False),
    ("nested-arrays-one-element-contains", '{"a": [[1, 2], [3]]}', '{"a": [[2, 1]]}', True),
    ("nested-arrays-one-element-must-hold-all", '{"a": [[1, 2], [3]]}', '{"a": [[1, 3]]}', False),
    ("nested-arrays-each-in-some-element", '{"a": [[1, 2], [3]]}', '{"a": [[1], [3]]}', True),
    ("nested-array-does-not-contain-flat-scalar", '{"a": [[1]]}', '{"a": [1]}', False),
    ("flat-array-does-not-contain-nested", '{"a": [1]}', '{"a": [[1]]}', False),
    ("array-of-empty-array", '{"a": [[]]}', '{"a": [[]]}', True),
    ("empty-array-element-is-not-empty-object", '{"a": [[]]}', '{"a": [{}]}', False),
    ("empty-array-has-no-empty-array", '{"a": []}', '{"a": [[]]}', False),
    ("array-of-objects-each-in-some-element", '{"a": [{"b": 1, "c": 2}, {"b": 3}]}',
     '{"a": [{"b": 1}, {"b": 3}]}', True),
    ("array-of-objects-one-element-must-hold-all", '{"a": [{"b": 1}, {"c": 2}]}', '{"a": [{"b": 1, "c": 2}]}', False),
    ("array-empty-object-matches-object-element", '{"a": [{"b": 1}]}', '{"a": [{}]}', True),
    ("array-empty-object-needs-object-element", '{"a": [1]}', '{"a": [{}]}', False),
    ("deep-arrays-of-objects", '{"a": [{"b": [{"c": [1, 2]}]}]}', '{"a": [{"b": [{"c": [2]}]}]}', True),
    # Unicode: code points compared, no normalisation.
    ("composed-e-acute-is-not-decomposed", f'{{"name": "{COMPOSED}"}}', f'{{"name": "{DECOMPOSED}"}}', False),
    ("decomposed-e-acute-is-not-composed", f'{{"name": "{DECOMPOSED}"}}', f'{{"name": "{COMPOSED}"}}', False),
    ("composed-equals-composed", '{"Name": "Nicholas P\u00e9p\u00e9"}', '{"Name": "Nicholas P\\u00e9p\\u00e9"}', True),
    ("decomposed-key-is-another-key", '{"\u00e9": 1}', '{"e\u0301": 1}', False),
    ("astral-literal-equals-surrogate-pair-escape", '{"a": "\U0001f600"}', '{"a": "\\ud83d\\ude00"}', True),
    ("case-folding-not-applied", '{"a": "stra\u00dfe"}', '{"a": "strasse"}', False),
]


def _parse(text: str):
    return json.loads(text, parse_float=Decimal)


@pytest.mark.parametrize(("document", "fragment", "expected"), [c[1:] for c in GOLDEN], ids=[c[0] for c in GOLDEN])
def test_contains_gives_the_golden_answer(document, fragment, expected):
    assert contains(_parse(document), _parse(fragment)) is expected


@pytest.mark.postgres
@pytest.mark.parametrize(("document", "fragment", "expected"), [c[1:] for c in GOLDEN], ids=[c[0] for c in GOLDEN])
def test_postgresql_gives_the_golden_answer(pg_conn, document, fragment, expected):
    with pg_conn.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb @> %s::jsonb", (document, fragment))
        assert cursor.fetchone()[0] is expected


def test_golden_table_is_large_and_has_unique_names():
    names = [case[0] for case in GOLDEN]
    assert len(names) == len(set(names))
    assert len(GOLDEN) >= 60


@pytest.mark.parametrize(
    ("message", "inclusion", "exclusion", "expected"),
    [
        (MESSAGE_A, FILTER_1, None, True),
        (MESSAGE_B, FILTER_1, None, False),
        (MESSAGE_C, FILTER_2_INCLUSION, FILTER_2_EXCLUSION, True),
        (MESSAGE_D, FILTER_2_INCLUSION, FILTER_2_EXCLUSION, False),
    ],
    ids=["a-matches-1", "b-misses-1", "c-matches-2", "d-excluded-by-2"],
)
def test_matches_applies_the_seed_triggers(message, inclusion, exclusion, expected):
    parsed_exclusion = None if exclusion is None else _parse(exclusion)
    assert matches(_parse(message), _parse(inclusion), parsed_exclusion) is expected


def test_matches_with_exclusion_that_misses_keeps_the_message():
    assert matches({"form": "bns_survey", "body": {"survey_type": "real"}}, {"form": "bns_survey"},
                   {"body": {"survey_type": "practice"}}) is True


def test_matches_empty_inclusion_takes_every_object_but_no_array_or_scalar():
    assert [matches(body, {}) for body in ({}, {"a": 1}, [], [{}], 1, "x", None)] == [
        True, True, False, False, False, False, False]


def test_matches_empty_exclusion_excludes_every_object():
    assert matches({"a": 1}, {"a": 1}, {}) is False
