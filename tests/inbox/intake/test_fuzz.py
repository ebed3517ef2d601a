"""Whatever a client sends, the inbox answers below 500: 202 with the reply of SPEC §6, or a 4xx with
``{"error", "message"}``. Hypothesis generates bodies (valid JSON, near-JSON, bytes), headers and paths."""

from __future__ import annotations

import gzip
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # hundreds of generated requests
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text jsonb can hold: no NUL, no lone surrogates (the traps below bring those).
jsonb_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False), jsonb_text,
)  # fmt: skip
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(jsonb_text, inner, max_size=4), max_leaves=20)
TRAPS = ["NaN", "-Infinity", '"\\u0000"', '"\\ud800"', '"\\udc00\\ud800"', "1e131072", "1e-16384", "0e-99999",
         "1" * 5000, "[" * 70 + "]" * 70, "\ufeff{}", "{\"a\":1,}", "01", "1.", ".5", "+1", "'x'", "\x00", "true false"]  # fmt: skip


@st.composite
def bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["json", "trap", "spliced", "bytes", "text"]))
    if kind == "json":
        return json.dumps(draw(documents), ensure_ascii=draw(st.booleans())).encode()
    if kind == "trap":
        return draw(st.sampled_from(TRAPS)).encode("utf-8", "surrogatepass")
    if kind == "spliced":  # a valid document with a trap where a value goes
        return json.dumps({"a": [1, "PLACEHOLDER"]}).replace('"PLACEHOLDER"', draw(st.sampled_from(TRAPS))).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")


header_text = st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=40)
content_types = st.one_of(
    st.sampled_from(["application/json", "application/json; charset=utf-8", "application/ld+json", "text/plain",
                     "application/json; charset=latin1", "multipart/form-data", ""]),
    header_text,
)  # fmt: skip
encodings = st.one_of(st.sampled_from(["gzip", "identity", "br", "deflate", "x-gzip"]), header_text)


def _assert_well_formed(reply) -> None:
    assert reply.status_code < 500, (reply.status_code, reply.text)
    body = reply.json()
    if reply.status_code == 202:
        assert list(body) == ["meta", "data", "errors"]
        assert body["meta"]["message"] == "Data accepted and processing has begun."
    else:
        assert 400 <= reply.status_code < 500
        assert list(body) == ["error", "message"]
        assert body["message"].endswith(".")


@SETTINGS
@given(body=bodies(), content_type=content_types, encoding=st.none() | encodings, compress=st.booleans(),
       key=st.none() | header_text)  # fmt: skip
def test_no_body_or_header_makes_the_inbox_fail(inbox, body, content_type, encoding, compress, key):
    headers = {"content-type": content_type}
    if encoding is not None:
        headers["content-encoding"] = encoding
        if compress and encoding in ("gzip", "x-gzip"):
            body = gzip.compress(body)
    if key is not None:
        headers["idempotency-key"] = key
    _assert_well_formed(inbox.http.post(f"/openfn/inbox/{inbox.token('clinic')}", content=body, headers=headers))


@SETTINGS
@given(token=st.text(st.characters(exclude_characters="\n", exclude_categories=["Cs"]), max_size=60), method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
def test_no_token_or_method_makes_the_inbox_fail(inbox, token, method):
    # (a URL cannot carry a lone surrogate, and a path with a newline never reaches the plugin: the host
    # app's mount does not match it)
    from urllib.parse import quote

    reply = inbox.http.request(method, f"/openfn/inbox/{quote(token, safe='')}", content=b"{}", headers={"content-type": "application/json"})
    assert reply.status_code < 500, (reply.status_code, reply.text)
    if reply.status_code != 200:
        assert list(reply.json()) == ["error", "message"]


@SETTINGS
@given(document=documents)
def test_every_valid_document_is_accepted_and_stored_exactly(inbox, document):
    text = json.dumps(document)
    reply = inbox.post("forms", content=text.encode())
    if _nesting(document) > 64:
        assert reply.status_code == 400
        return
    assert reply.status_code == 202, reply.text
    detail = inbox.api("GET", f"/messages/{reply.json()['meta']['message_id']}")
    assert json.loads(detail.content)["body"] == json.loads(text)


def _nesting(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    return 0
