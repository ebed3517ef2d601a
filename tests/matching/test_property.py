"""contains() equals PostgreSQL's jsonb @> on generated documents and fragments derived from them."""

from __future__ import annotations

import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings

from openfn.matching import contains
from tests.matching.strategies import document_and_fragments, from_json, to_json
from tests.support.fixtures import PG_TEST_DATABASE

pytestmark = pytest.mark.postgres

# One round trip per example: the document against every fragment, and every fragment against the document.
_BATCH = """
    SELECT d::jsonb @> f::jsonb, f::jsonb @> d::jsonb
    FROM unnest(%s::text[]) WITH ORDINALITY AS t(f, i), (SELECT %s::text AS d) AS doc
    ORDER BY i
"""


@pytest.fixture(scope="module")
def cursor(postgres_server):
    connection = psycopg2.connect(postgres_server.dsn(PG_TEST_DATABASE))
    connection.autocommit = True
    with connection.cursor() as cursor:
        yield cursor
    connection.close()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=document_and_fragments())
def test_contains_agrees_with_postgresql(cursor, case):
    document, fragments = case
    document_text = to_json(document)
    fragment_texts = [to_json(fragment) for fragment in fragments]
    cursor.execute(_BATCH, (fragment_texts, document_text))
    expected = cursor.fetchall()

    parsed_document = from_json(document_text)
    actual = []
    for text in fragment_texts:
        parsed_fragment = from_json(text)
        actual.append((contains(parsed_document, parsed_fragment), contains(parsed_fragment, parsed_document)))
    assert actual == expected, [
        (text, want, got) for text, want, got in zip(fragment_texts, expected, actual) if want != got
    ]


@settings(max_examples=300, deadline=None)
@given(case=document_and_fragments())
def test_contains_gives_the_same_answer_on_generated_values_and_on_their_parsed_json(case):
    document, fragments = case
    parsed_document = from_json(to_json(document))
    for fragment in fragments:
        assert contains(document, fragment) == contains(parsed_document, from_json(to_json(fragment)))
