"""Bodies are accepted exactly when PostgreSQL's jsonb accepts them (within the depth limit) and Python's
json module, with which Airflow reads run confs, reads their numbers back as they are; they are parsed with
exact numbers. Compared with a real PostgreSQL server. Large bodies take another path (json_parsing.walk),
which must accept and refuse exactly the same bodies, with the same error codes."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfn.errors import InvalidBody
from openfn.inbox.bodies.json_parsing import parse_body, walk
from openfn.inbox.bodies.filter_shape import Shape

EDGES = [
    "1e131071", "1e131072", "9.99e131071", "-1e131072", "1e-16383", "1e-16384", "1.5e-16383", "0e-16383", "0e-16384",
    "0e99999999", "0e2147483647", "1" + "0" * 131071, "1" + "0" * 131072, "0." + "0" * 16382 + "1", "0." + "0" * 16383 + "1",
    "-0", "-0.0e5", "1E+5", "1e0000000000000000000005", "123456789012345678901234567890.12345678901234567890",
    '"\\u0000"', '"a\\u0000"', '"\\ud800"', '"\\udc00"', '"\\ud800\\udc00"', '"\\uD83D\\uDE00"', '"\\ud83dx"', '"\\u00e9"',
    "NaN", "Infinity", "-Infinity", "nan", "\ufeff{}", "{}", " [ ] ", '{"a":1,"a":2}', "[1,]", "01", "1.", ".1", "+1",
    '"\t"', '"\\t"', "\"\\'\"", '"\\/"', "true", "null", "tru", '{"a" 1}', "", " ",
]  # fmt: skip


def _pg_accepts(cursor, text: str) -> bool:
    cursor.execute("SAVEPOINT probe")
    try:
        cursor.execute("SELECT %s::jsonb", (text,))
        cursor.execute("RELEASE SAVEPOINT probe")
        return True
    except Exception:
        cursor.execute("ROLLBACK TO SAVEPOINT probe")
        return False


def _python_reads(text: str) -> bool:
    """Airflow's reading of a run conf: ``json.loads``; a number it makes infinite, or zero, is not read back."""

    def exact_float(token: str) -> float:
        value = float(token)
        if math.isinf(value) or (value == 0 and Decimal(token) != 0):
            raise ValueError(token)
        return value

    try:
        json.loads(text, parse_float=exact_float)
        return True
    except (ValueError, RecursionError):  # JSONDecodeError, and integers over 4300 digits
        return False


def _outcome(parse, text: str) -> str | None:
    try:
        parse(text)
        return None
    except InvalidBody as error:
        return error.code


def _we_accept(text: str) -> bool:
    """Whether the inbox accepts ``text``; the whole-body and the large-body checks must agree."""
    whole = _outcome(lambda t: parse_body(t.encode("utf-8", "surrogatepass"), max_depth=10_000), text)
    walked = _outcome(lambda t: walk(t, max_depth=10_000, shape=Shape()), text) if text.strip() and "\ufeff" not in text[:1] else whole
    checked_after_parsing = {"too_deep", "unsupported_character"}  # the order of these two may differ
    assert walked == whole or {walked, whole} <= checked_after_parsing, (text[:60], whole, walked)
    return whole is None


@pytest.fixture
def pg_cursor(postgres_server):
    import psycopg2

    connection = psycopg2.connect(postgres_server.dsn("openfn_test"))
    cursor = connection.cursor()
    cursor.execute("BEGIN")
    yield cursor
    connection.rollback()
    connection.close()


@pytest.mark.postgres
@pytest.mark.parametrize("text", EDGES, ids=[f"{i}:{t[:24]!r}" for i, t in enumerate(EDGES)])
def test_edge_cases_are_accepted_exactly_when_jsonb_accepts_them_and_python_reads_them(pg_cursor, text):
    assert _we_accept(text) == (_pg_accepts(pg_cursor, text) and _python_reads(text))


fragments = st.sampled_from(EDGES[:40] + ["1", '"x"', "[]", "{}", "1.10", "-2e-3"])


@pytest.mark.postgres
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(fragments, min_size=1, max_size=4), wrap=st.sampled_from(["[{}]", '{{"k": {}}}', "{}"]))
def test_generated_documents_agree_with_jsonb(pg_cursor, parts, wrap):
    text = wrap.format(", ".join(parts)) if wrap != "{}" else parts[0]
    assert _we_accept(text) == (_pg_accepts(pg_cursor, text) and _python_reads(text))


def test_numbers_are_exact():
    body, _ = parse_body(b'{"a": 1.10, "b": 1e2, "c": 12345678901234567890123, "d": -0.0}', max_depth=64)
    assert body == {"a": Decimal("1.10"), "b": Decimal("1E+2"), "c": 12345678901234567890123, "d": Decimal("-0.0")}
    assert str(body["a"]) == "1.10"


def test_integers_as_long_as_python_reads_stay_exact_and_longer_ones_are_refused():
    digits = "7" * 4300
    body, _ = parse_body(f"[{digits}]".encode(), max_depth=64)
    assert body == [int(digits)]
    with pytest.raises(InvalidBody, match=r"^The number 7{20}\.\.\.7{10} is outside the range the inbox can store and read back exactly;"):
        parse_body(f"[{digits}7]".encode(), max_depth=64)


def test_text_is_returned_as_sent():
    raw = '{"b": 1.50,  "a": "\\u00e9"}'
    assert parse_body(raw.encode(), max_depth=64)[1] == raw
    assert json.loads(raw) == {"b": 1.5, "a": "é"}


@pytest.mark.parametrize(("max_depth", "accepted"), [(4, True), (3, False)])
def test_depth_limit_counts_nested_objects_and_arrays(max_depth, accepted):
    text = b'{"a": [{"b": [1]}]}'  # 4 levels
    try:
        parse_body(text, max_depth=max_depth)
        outcome = True
    except InvalidBody as error:
        assert error.code == "too_deep"
        outcome = False
    assert outcome == accepted
