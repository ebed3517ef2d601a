"""language-http edge cases: unusual bodies, null and undefined in query and body, header values, methods,
content types, dates, spaces in paths; redirects, compressed and streamed replies, HEAD, uncommon statuses,
error maps, cookies, and the log lines of requests."""

from tests.adaptors.differential.cases.http import CONFIG, c
from tests.adaptors.differential.dsl import UNDEFINED, call, code

DATE = code("new Date(Date.UTC(2024, 0, 5, 6, 7, 8))", "__import__('datetime').datetime(2024, 1, 5, 6, 7, 8, tzinfo=__import__('datetime').timezone.utc)")


def logged(id, ops, **extra):
    return c(f"log-{id}", ops, logs=True, **extra)


CASES = [
    # request bodies
    c("body-array", [call("post", "json", [1, "a", {"b": None}])], deliberate="D14", py_expect={"requests": [{"body": [1, "a", {}]}]}),
    c("body-number", [call("post", "json", 5)]),
    c("body-zero", [call("post", "json", 0)]),
    c("body-false", [call("post", "json", False)]),
    c("body-true", [call("post", "json", True)]),
    c("body-null", [call("post", "json", None)]),
    c("body-undefined", [call("post", "json", UNDEFINED)]),
    c("body-empty-object", [call("post", "json", {})]),
    c("body-empty-list", [call("post", "json", [])], deliberate="D14", py_expect={"requests": [{"body": []}]}),
    c("body-null-values", [call("post", "json", {"a": None, "b": UNDEFINED, "c": [None, UNDEFINED], "d": 0})]),
    c("body-reference-missing", [call("post", "json", {"a": call("dataValue", "missing"), "b": 1})]),
    c("body-date", [call("post", "json", {"when": DATE})], deliberate="D12", py_expect={"requests": [{"body": {"when": "2024-01-05T06:07:08+00:00"}}]}),
    c("body-text-xml-header", [call("put", "json", "<a/>", {"headers": {"Content-Type": "application/xml"}})]),
    c("body-form-undefined", [call("post", "json", {"a": UNDEFINED, "b": 0, "c": False, "d": ""}, {"contentType": "form"})]),
    c("content-type-file", [call("post", "json", {"a": 1}, {"contentType": "file"})], deliberate="D3", py_expect={"error": {}, "requests": []}),
    # query values
    c("query-undefined", [call("get", "json", {"query": {"a": UNDEFINED, "b": "x"}})]),
    c("query-null-only", [call("get", "json", {"query": {"a": None}})]),
    c("query-list-with-null", [call("get", "json", {"query": {"id": [1, None, "x"]}})]),
    c("query-number-formats", [call("get", "json", {"query": {"big": 1e21, "small": 1e-7, "f": 1.5, "i": 3.0}})]),
    c("query-empty-list", [call("get", "json", {"query": {"e": [], "b": 1}})]),
    c("query-date", [call("get", "json", {"query": {"when": DATE}})], deliberate="D12", py_expect={"requests": [{"query": {"when": ["2024-01-05T06:07:08+00:00"]}}]}),
    c("query-url-and-option-list", [call("get", "json?id=1", {"query": {"id": [2, 3]}})]),
    c("query-url-encoded", [call("get", "json?q=a%20b&r=x+y")]),
    # headers
    c("header-boolean", [call("get", "json", {"headers": {"X-Flag": True, "X-Off": False}})]),
    c("header-zero", [call("get", "json", {"headers": {"X-Zero": 0, "X-Float": 1.5}})]),
    c("header-null", [call("get", "json", {"headers": {"X-Null": None, "X-Keep": "k"}})], deliberate="D11", py_expect={"requests": [{"headers": {"x-keep": "k"}}]}),
    c("header-undefined", [call("get", "json", {"headers": {"X-Undefined": UNDEFINED, "X-Keep": "k"}})]),
    c("header-lowercase-authorization", [call("get", "json", {"headers": {"authorization": "ApiKey k"}})], deliberate="D18", py_expect={"requests": [{"headers": {"authorization": "ApiKey k"}}]}),
    c("header-lowercase-content-type", [call("post", "json", "x", {"headers": {"content-type": "text/csv"}})]),
    # methods
    c("method-lower-case", [call("request", "get", "json")]),
    c("method-lower-case-post", [call("request", "post", "json", {"body": {"a": 1}})]),
    c("method-unknown", [call("request", "PURGE", "json")]),
    c("method-head", [call("request", "HEAD", "json")], deliberate="D15", py_expect={"state": {"response": {"statusCode": 200}}}),
    c("method-head-text", [call("request", "HEAD", "text")], deliberate="D15", py_expect={"state": {"response": {"statusCode": 200}}}),
    # paths
    c("path-space", [call("get", "my path/json")]),
    c("path-space-and-query", [call("get", "my path/json?q=a b")]),
    c("path-encoded-space", [call("get", "my%20path/json")]),
    c("path-unicode", [call("get", "zoë/json")]),
    c("path-hash", [call("get", "json#part")]),
    # replies
    c("redirect-follow-all", [call("get", "redirect", {"followAllRedirects": True})]),
    c("redirect-chain", [call("get", "chain")]),
    c("redirect-post-302", [call("post", "redirect", {"a": 1})]),
    c("redirect-post-303", [call("post", "see-other", {"a": 1})]),
    c("redirect-post-307", [call("post", "temporary", {"a": 1})]),
    c("redirect-post-follow-all-false", [call("post", "see-other", {"a": 1}, {"followAllRedirects": False})]),
    c("reply-gzip-json", [call("get", "gzip")]),
    c("reply-gzip-text", [call("get", "gzip", {"parseAs": "text"})]),
    c("parseAs-stream", [call("get", "json", {"parseAs": "stream"}), call("fn", code("s => ({ ...s, data: typeof s.data.pipe })", "lambda s: s"))], deliberate="D16", py_expect={"error": {}, "requests": []}),
    c("status-425-errors-false", [call("get", "status/425", {"errors": False})], deliberate="D17", py_expect={"state": {"data": {"error": "status 425"}, "response": {"statusMessage": "Too Early"}}}),
    c("status-599-errors-false", [call("get", "status/599", {"errors": False})], deliberate="D17", py_expect={"state": {"data": {"error": "status 599"}, "response": {"statusMessage": "Unknown Status"}}}),
    c("status-425", [call("get", "status/425")], deliberate="D17", py_expect={"error": {"statusCode": 425}}),
    c("status-599", [call("get", "status/599")], deliberate="D17", py_expect={"error": {"statusCode": 599}}),
    c("errors-function", [call("get", "status/404", {"errors": {"404": code("r => `gone ${r.statusCode}`", "lambda r: f'gone {r.status_code}'")}})]),
    c("errors-function-on-200", [call("get", "json", {"errors": {"200": code("r => 'no'", "lambda r: 'no'")}})]),
    c("errors-true", [call("get", "status/404", {"errors": {"404": True}})]),
    c("errors-false-value", [call("get", "status/500", {"errors": {"500": False}})]),
    c("errors-empty-text", [call("get", "status/404", {"errors": {"404": ""}})]),
    c("errors-zero", [call("get", "json", {"errors": {"200": 0}})]),
    c("reply-set-cookie", [call("get", "cookie")], deliberate="D19", py_expect={"state": {"data": {"ok": 1}, "response": {"headers": {"content-type": "application/json"}}}}),
    # log lines
    logged("plain", [call("get", "json")]),
    logged("query", [call("get", "json", {"query": {"a": "1", "b": 2}})]),
    logged("query-special-characters", [call("get", "json", {"query": {"q": "a b&c=d/é", "plus": "1+1"}})]),
    logged("query-repeated", [call("get", "json", {"query": {"id": [1, 2]}})]),
    logged("query-null", [call("get", "json", {"query": {"a": None, "b": True}})]),
    logged("query-in-url", [call("get", "json?a=1&a=2")]),
    logged("query-secret", [call("get", "json", {"query": {"api_key": "k-123", "n": 1}})], deliberate="D20",
           py_expect={"state": {"response": {"query": {"api_key": "***", "n": 1}}}, "logs": [["info", "GET http://SERVER/api/json?api_key=***&n=1 - 200 in Nms"]]}),
    logged("error", [call("get", "status/404")]),
    logged("error-query", [call("get", "status/500", {"query": {"a": 1}})]),
    logged("error-no-body", [call("get", "status/404", {"parseAs": "text"}), call("get", "empty")]),
    logged("post", [call("post", "json", {"a": 1})]),
]
