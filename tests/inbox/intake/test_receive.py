"""POST/GET /openfn/inbox/<token> through the app as the api-server mounts it: the seed's filter examples,
the 202 reply, every error with its exact body, replays, stored headers and sender authentication."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
import sqlalchemy as sa

from openfn.inbox.store.schema import message_jobs, messages, runs
from tests.inbox.conftest import dag_runs

# The seed's "Filter Matching in Detail" messages.
MESSAGE_A = {"submissionDate": "2016-01-15", "formID": "patient_registration_v7", "name": "Jack Wilshere",
             "dob": "1986-05-16", "medications": ["anaphlene", "zaradood", "morphofast"]}  # fmt: skip
MESSAGE_B = {"submissionDate": "2016-01-16", "formID": "patient_registration_v8", "name": "Larry Bird",
             "dob": "1982-03-21", "medications": ["anaphlene", "zaradood", "morphofast"]}  # fmt: skip
MESSAGE_C = {"submissionDate": "2016-01-15", "name": "john doe", "dob": "1986-05-16"}
MESSAGE_D = {"submissionDate": "2016-01-15", "name": "john doe", "dob": "1986-05-16", "allowedToShare": False}


def _jobs(reply) -> list[str]:
    return [run["job"] for run in reply.json()["data"]]


@pytest.mark.parametrize(
    ("body", "jobs"),
    [(MESSAGE_A, ["register-patient"]), (MESSAGE_B, []), (MESSAGE_C, ["share-record"]), (MESSAGE_D, [])],
    ids=["a-matches-filter-1", "b-does-not-match-filter-1", "c-matches-filter-2", "d-excluded-by-filter-2"],
)
def test_seed_messages_start_exactly_the_jobs_whose_filter_they_match(inbox, body, jobs):
    reply = inbox.post("forms", body)
    assert reply.status_code == 202
    assert _jobs(reply) == jobs


def test_202_reply_names_the_message_and_each_run_with_its_final_ids(inbox):
    reply = inbox.post("forms", MESSAGE_A)
    body = reply.json()
    message_id = body["meta"]["message_id"]
    assert body["meta"] == {"message": "Data accepted and processing has begun.", "message_id": message_id}
    assert body["errors"] == []
    [run] = body["data"]
    assert run["dag_id"] == "forms.register-patient"
    assert run["run_id"].startswith(f"message__{message_id}__")
    with inbox.runtime.database.read() as connection:
        stored = connection.execute(sa.select(runs.c.dag_id, runs.c.run_id, runs.c.status)).all()
    assert stored == [("forms.register-patient", run["run_id"], "pending")]


def test_message_and_its_runs_are_committed_before_the_reply(inbox):
    reply = inbox.post("clinic", {"form": "case_referral", "case_id": "c1", "amount": 5})
    message_id = reply.json()["meta"]["message_id"]
    with inbox.runtime.database.read() as connection:
        assert connection.execute(sa.select(messages.c.project).where(messages.c.id == message_id)).scalar() == "clinic"
        assert sorted(connection.execute(sa.select(runs.c.job).where(runs.c.message_id == message_id)).scalars()) == ["payment", "referral"]
        assert connection.execute(sa.select(sa.func.count()).select_from(message_jobs)).scalar() == 2


def test_disabled_and_manual_jobs_start_nothing_by_themselves(inbox):
    reply = inbox.post("clinic", {"form": "case_referral", "case_id": "c1", "amount": 5})
    assert _jobs(reply) == ["referral", "payment"]  # not manual-review (autoprocess: false), not archived (disabled)


def test_exclusion_filter_keeps_a_message_from_starting_runs(inbox):
    reply = inbox.post("clinic", {"form": "case_referral", "test": True})
    assert reply.status_code == 202
    assert _jobs(reply) == []


def test_body_is_stored_exactly_as_sent(inbox):
    text = b'{"form": "x", "amount": 1.10, "big": 123456789012345678901234567890, "e": 1E+2, "s": "\\u00e9"}'
    reply = inbox.post("forms", content=text)
    message_id = reply.json()["meta"]["message_id"]
    detail = inbox.api("GET", f"/messages/{message_id}")
    assert detail.json()["body"] == {"form": "x", "amount": 1.1, "big": 123456789012345678901234567890, "e": 100.0, "s": "é"}
    assert b'"amount": 1.10' in detail.content and b"123456789012345678901234567890" in detail.content


def test_gzip_body_is_inflated(inbox):
    reply = inbox.post("forms", content=gzip.compress(json.dumps(MESSAGE_A).encode()), headers={"content-encoding": "gzip"})
    assert reply.status_code == 202
    assert _jobs(reply) == ["register-patient"]


def test_get_explains_the_inbox(inbox):
    reply = inbox.http.get(f"/openfn/inbox/{inbox.token('forms')}")
    assert reply.status_code == 200
    assert reply.json() == {"message": "This is the inbox of OpenFn project 'forms': POST a JSON message here to start its jobs."}


def test_same_idempotency_key_replays_the_first_reply_and_stores_one_message(inbox):
    first = inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k-1"})
    again = inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 202
    assert again.content == first.content
    other = inbox.post("forms", MESSAGE_A, headers={"webhook-id": "msg_2"})
    assert other.json()["meta"]["message_id"] != first.json()["meta"]["message_id"]
    with inbox.runtime.database.read() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 2
        assert connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar() == 2


REUSED = ("The Idempotency-Key 'k-2' was already used for another request (a different body, or another inbox URL); "
          "nothing was stored for this one; send a new message with a new Idempotency-Key; a retry must repeat the "
          "first request exactly (same URL, same body).")


def test_a_reused_idempotency_key_with_another_body_is_422_and_stores_nothing(any_inbox):
    first = any_inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k-2"})
    other = any_inbox.post("forms", MESSAGE_C, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 422
    assert other.json() == {"error": "idempotency_key_reused", "message": REUSED}
    again = any_inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k-2"})
    assert (again.status_code, again.content) == (202, first.content)  # the first request's retry still works
    with any_inbox.runtime.database.read() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(messages)).scalar() == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar() == 1


def test_the_same_body_with_other_whitespace_is_another_request(inbox):
    inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k-2"})
    spaced = inbox.http.post(f"/openfn/inbox/{inbox.token('forms')}", content=json.dumps(MESSAGE_A, indent=2),
                             headers={"Content-Type": "application/json", "Idempotency-Key": "k-2"})  # fmt: skip
    assert (spaced.status_code, spaced.json()["error"]) == (422, "idempotency_key_reused")


def test_a_key_stored_before_digests_were_kept_replays_its_reply_for_any_body(inbox):
    first = inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k-3"})
    with inbox.runtime.database.write() as connection:
        connection.execute(sa.update(messages).values(request_digest=None))
    again = inbox.post("forms", MESSAGE_C, headers={"Idempotency-Key": "k-3"})
    assert (again.status_code, again.content) == (202, first.content)


def test_stored_headers_leave_out_credentials(inbox):
    sent = {"Authorization": "Bearer secret", "X-API-Key": "k", "Cookie": "c=1", "X-Hub-Signature-256": "sha256=ab",
            "X-Webhook-Token": "t", "X-Client-Secret": "s", "X-Auth-User": "u", "X-Password": "p", "X-Session-Id": "s1",
            "Idempotency-Key": "k-9", "X-Source": "odk", "User-Agent": "odk/1"}  # fmt: skip
    reply = inbox.post("forms", MESSAGE_A, headers=sent)
    message_id = reply.json()["meta"]["message_id"]
    detail = inbox.api("GET", f"/messages/{message_id}").json()
    assert sorted(detail["headers"]) == ["accept", "accept-encoding", "connection", "content-length", "content-type",
                                         "host", "idempotency-key", "user-agent", "x-source"]  # fmt: skip
    inbox.dispatch()
    (conf,) = [row.conf for row in dag_runs(inbox.runtime.database) if message_id in row.run_id]
    assert conf["state"]["request"]["headers"] == detail["headers"]


NOT_FOUND = {
    "error": "not_found",
    "message": "No inbox answers at this URL with these credentials; copy the project's inbox URL (and its API key "
    "or login, if the project requires one) from GET /openfn/api/projects or the output of `make run`.",
}


def _error(reply) -> tuple[int, dict]:
    return reply.status_code, reply.json()


def test_unknown_token_is_404(inbox):
    assert _error(inbox.http.post("/openfn/inbox/not-a-token", json=MESSAGE_A)) == (404, NOT_FOUND)
    assert _error(inbox.http.get("/openfn/inbox/not-a-token")) == (404, NOT_FOUND)


def test_body_over_the_limit_is_413_also_when_chunked_or_gzip_inflates_past_it(sqlite_database, inbox_dags):
    from tests.inbox.conftest import build_client, clear_inbox, dag_runs

    clear_inbox(sqlite_database)
    small = build_client(sqlite_database, max_body_bytes=100)
    expected = (413, {"error": "body_too_large", "message": "The request body is larger than 100 bytes (after inflating, "
                      "if gzip-encoded); send a smaller message, or ask the operator to raise [openfn] max_body_bytes."})  # fmt: skip
    big = json.dumps({"x": "y" * 200}).encode()
    assert _error(small.post("forms", content=big)) == expected

    def chunks():
        yield big[:60]
        yield big[60:]

    token = small.token("forms")
    chunked = small.http.post(f"/openfn/inbox/{token}", content=chunks(), headers={"content-type": "application/json"})
    assert _error(chunked) == expected
    bomb = gzip.compress(json.dumps({"x": " " * 10_000}).encode())
    assert len(bomb) < 100
    assert _error(small.post("forms", content=bomb, headers={"content-encoding": "gzip"})) == expected
    assert small.post("forms", {"ok": 1}).status_code == 202


INVALID = "send a valid JSON document (RFC 8259) encoded as UTF-8."
OUT_OF_RANGE = ("is outside the range the inbox can store and read back exactly; send it as a string, or as an integer of at "
                "most 4300 digits, or a number between -1.7e308 and 1.7e308 that is not closer to zero than 5e-324, with at "
                "most 16383 digits after the decimal point.")


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", "invalid_json", f"The request body is empty; {INVALID}"),
        (b"{'a': 1}", "invalid_json", f"The body is not valid JSON (Expecting property name enclosed in double quotes at line 1, column 2); {INVALID}"),
        (b'{"a": 1,}', "invalid_json", f"The body is not valid JSON (Expecting property name enclosed in double quotes at line 1, column 9); {INVALID}"),
        (b'{"a": "\xff"}', "invalid_json", f"The body is not valid UTF-8 (byte 7); {INVALID}"),
        (b'\xef\xbb\xbf{"a": 1}', "invalid_json", f"The body is not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1, column 1); {INVALID}"),
        (b'{"a": NaN}', "unsupported_number", "The body contains NaN, which is not a JSON number; send finite numbers only (or the value as a string)."),
        (b'{"a": -Infinity}', "unsupported_number", "The body contains -Infinity, which is not a JSON number; send finite numbers only (or the value as a string)."),
        (b'{"a": 1e131072}', "number_out_of_range", f"The number 1e131072 {OUT_OF_RANGE}"),
        (b'{"a": 1e309}', "number_out_of_range", f"The number 1e309 {OUT_OF_RANGE}"),
        (b'{"a": -2.5e-400}', "number_out_of_range", f"The number -2.5e-400 {OUT_OF_RANGE}"),
        (b'{"a": ' + b"7" * 4301 + b"}", "number_out_of_range", f"The number 77777777777777777777...7777777777 {OUT_OF_RANGE}"),
        (b'{"a": ["\\u0000"]}', "unsupported_character", "The body has a \\u0000 character at $.a[0], which PostgreSQL's jsonb cannot store; remove the NUL characters from the message."),
        (b'{"a\\u0000": 1}', "unsupported_character", "The body has a \\u0000 character at $, which PostgreSQL's jsonb cannot store; remove the NUL characters from the message."),
        (b'{"a": "\\ud83d"}', "unsupported_character", "The body has a lone surrogate escape (\\ud800-\\udfff without its pair) at $.a; send the character itself, or a complete surrogate pair."),
        (b"[" * 65 + b"]" * 65, "too_deep", "The body nests objects and arrays more than 64 levels deep; flatten the message, or ask the operator to raise [openfn] max_depth."),
        (b"[" * 5000 + b"]" * 5000, "too_deep", "The body nests objects and arrays more than 64 levels deep; flatten the message, or ask the operator to raise [openfn] max_depth."),
    ],
    ids=["empty", "single-quotes", "trailing-comma", "not-utf8", "bom", "nan", "infinity", "numeric-overflow",
         "double-overflow", "double-underflow", "python-int-limit",
         "nul", "nul-in-key", "lone-surrogate", "too-deep", "very-deep"],  # fmt: skip
)
def test_bodies_jsonb_refuses_are_400_with_the_reason(inbox, content, code, message):
    assert _error(inbox.post("forms", content=content)) == (400, {"error": code, "message": message})


def test_depth_at_the_limit_is_accepted(inbox):
    assert inbox.post("forms", content=b"[" * 64 + b"]" * 64).status_code == 202


@pytest.mark.parametrize(
    ("headers", "what"),
    [
        ({"content-type": "text/plain"}, "Content-Type 'text/plain'"),
        ({"content-type": "application/x-www-form-urlencoded"}, "Content-Type 'application/x-www-form-urlencoded'"),
        ({"content-type": "application/json; charset=iso-8859-1"}, "the charset 'iso-8859-1'"),
        ({"content-encoding": "br"}, "Content-Encoding 'br'"),
    ],
)
def test_unsupported_content_is_415(inbox, headers, what):
    expected = {"error": "unsupported_media_type", "message": f"The inbox does not accept {what}; send the message as JSON "
                "with `Content-Type: application/json` (UTF-8), uncompressed or with `Content-Encoding: gzip`."}  # fmt: skip
    assert _error(inbox.post("forms", MESSAGE_A, headers=headers)) == (415, expected)


def test_json_subtypes_and_missing_content_type_are_accepted(inbox):
    assert inbox.post("forms", MESSAGE_A, headers={"content-type": "application/vnd.api+json; charset=UTF-8"}).status_code == 202
    token = inbox.token("forms")
    assert inbox.http.post(f"/openfn/inbox/{token}", content=json.dumps(MESSAGE_A)).status_code == 202


def test_idempotency_key_longer_than_255_is_400(inbox):
    reply = inbox.post("forms", MESSAGE_A, headers={"Idempotency-Key": "k" * 256})
    assert _error(reply) == (400, {"error": "invalid_idempotency_key", "message": "The idempotency-key header must be 1 to 255 characters long; send a shorter key (a UUID works well), or none."})


def test_other_methods_are_405_as_json(inbox):
    reply = inbox.http.put(f"/openfn/inbox/{inbox.token('forms')}", json=MESSAGE_A)
    assert _error(reply) == (405, {"error": "method_not_allowed", "message": "PUT is not allowed here; the inbox takes POST (and GET for a test ping)."})


class TestSenderAuthentication:
    @pytest.fixture(autouse=True)
    def secrets(self, inbox):
        from airflow.models import Connection, Variable
        from airflow.utils.session import create_session

        Variable.set("openfn_inbox_api_key_guarded", "key-123")
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "openfn_inbox_guarded").delete()
            session.add(Connection(conn_id="openfn_inbox_guarded", conn_type="generic", login="odk", password="pa:ss"))
        yield
        Variable.delete("openfn_inbox_api_key_guarded")

    def test_missing_credentials_are_401_with_the_accepted_ways(self, inbox):
        reply = inbox.post("guarded", {"a": 1})
        assert _error(reply) == (401, {"error": "unauthorized", "message": "This inbox requires sender credentials; send an x-api-key header or HTTP basic auth."})
        assert reply.headers["www-authenticate"] == 'Basic realm="openfn inbox"'

    @pytest.mark.parametrize("headers", [{"x-api-key": "key-124"}, {"authorization": "Basic " + base64.b64encode(b"odk:wrong").decode()}, {"authorization": "Basic !!"}])
    def test_wrong_credentials_are_404_like_an_unknown_token(self, inbox, headers):
        assert _error(inbox.post("guarded", {"a": 1}, headers=headers)) == (404, NOT_FOUND)

    @pytest.mark.parametrize("headers", [{"x-api-key": "key-123"}, {"authorization": "Basic " + base64.b64encode(b"odk:pa:ss").decode()}])
    def test_either_configured_method_admits_the_sender(self, inbox, headers):
        reply = inbox.post("guarded", {"a": 1}, headers=headers)
        assert reply.status_code == 202
        assert _jobs(reply) == ["intake"]
