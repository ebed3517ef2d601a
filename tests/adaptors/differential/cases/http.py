"""language-http 7: the behaviours of OpenFn's tests (URLs against baseUrl, auth, headers, query, bodies, parseAs,
the error map, redirects, parseXML) and the edge cases of the query, paths and content types."""

from tests.adaptors.differential.dsl import Case, call, code

SERVER = "http://SERVER"
CONFIG = {"baseUrl": f"{SERVER}/api", "username": "clerk", "password": "pw-4f9a"}


def c(id, ops, configuration=CONFIG, **extra):
    state = {"data": {"name": "Ann", "ids": [1, 2]}, "references": []}
    if configuration is not None:
        state["configuration"] = configuration
    return Case(f"http-{id}", "http", ops, state, **extra)


CASES = [
    # URLs
    c("get-relative", [call("get", "json")]),
    c("get-leading-slash", [call("get", "/json")]),
    c("get-trailing-slash", [call("get", "/json/")]),
    c("get-root-slash", [call("get", "/")]),
    c("get-dot-dot", [call("get", "/x/../json")]),
    c("get-double-slash", [call("get", "//json")]),
    c("get-absolute-same-origin", [call("get", f"{SERVER}/api/json")]),
    c("get-absolute-other-origin", [call("get", "http://other.example/api/json")]),
    c("get-absolute-no-credential", [call("get", f"{SERVER}/api/json")], configuration=None),
    c("get-relative-no-base", [call("get", "/json")], configuration=None),
    c("base-with-trailing-slash", [call("get", "/json")], configuration={**CONFIG, "baseUrl": f"{SERVER}/api/"}),
    # auth and headers
    c("bearer", [call("get", "json")], configuration={"baseUrl": f"{SERVER}/api", "access_token": "tok-1"}),
    c("own-authorization", [call("get", "json", {"headers": {"Authorization": "ApiKey k"}})]),
    c("headers", [call("get", "json", {"headers": {"X-Trace": "t-1", "Accept": "application/json"}})]),
    c("header-number", [call("get", "json", {"headers": {"X-Count": 3}})]),
    # query
    c("query", [call("get", "json", {"query": {"a": "1", "b": 2}})]),
    c("query-repeated-url", [call("get", "json?a=1&a=2")]),
    c("query-list", [call("get", "json", {"query": {"id": [1, 2]}})]),
    c("query-url-wins", [call("get", "json?a=url", {"query": {"a": "option", "b": "x"}})]),
    c("query-null", [call("get", "json", {"query": {"a": None, "b": "x"}})]),
    c("query-boolean", [call("get", "json", {"query": {"t": True, "f": False}})]),
    c("query-nested", [call("get", "json", {"query": {"o": {"k": 1}}})]),
    c("query-empty-text", [call("get", "json", {"query": {"e": ""}})]),
    c("query-reference", [call("get", "json", {"query": {"name": call("dataValue", "name")}})]),
    c("query-special-characters", [call("get", "json", {"query": {"q": "a b&c=d/é"}})]),
    # bodies
    c("post-json", [call("post", "json", {"name": call("dataValue", "name")})]),
    c("post-no-body", [call("post", "json")]),
    c("post-text", [call("post", "json", "plain text")]),
    c("post-xml", [call("post", "json", "<a/>", {"contentType": "xml"})]),
    c("post-string", [call("post", "json", "x=1", {"contentType": "string"})]),
    c("post-invalid-content-type", [call("post", "json", {"a": 1}, {"contentType": "yaml"})], deliberate="D3", py_expect={"error": {}, "requests": []}),
    c("post-own-content-type", [call("post", "json", {"a": 1}, {"headers": {"content-type": "application/vnd+json"}})]),
    c("post-content-type-vs-header", [call("post", "json", "<a/>", {"contentType": "xml", "headers": {"Content-Type": "text/csv"}})]),
    c("post-form", [call("post", "json", {"name": "Ann", "n": 2, "ok": True, "obj": {"a": 1}, "skip": None}, {"contentType": "form"})]),
    c("post-empty-text", [call("post", "json", "")]),
    c("put", [call("put", "json", {"a": 1})]),
    c("patch", [call("patch", "json", {"a": 1})]),
    c("delete", [call("del", "json")]),
    c("request", [call("request", "OPTIONS", "json")]),
    c("request-body", [call("request", "POST", "json", {"body": {"a": 1}, "query": {"q": 1}})]),
    # replies
    c("reply-text", [call("get", "text")]),
    c("reply-fhir-json", [call("get", "fhirjson")]),
    c("reply-vnd-json", [call("get", "vndjson")]),
    c("reply-json-charset", [call("get", "charsetjson")]),
    c("reply-xml", [call("get", "xml")]),
    c("reply-204", [call("get", "empty")]),
    c("reply-no-content-type", [call("get", "notype")]),
    c("reply-no-content-type-as-text", [call("get", "notype", {"parseAs": "text"})]),
    c("reply-empty-json", [call("get", "emptyjson")]),
    c("reply-bad-json", [call("get", "badjson")]),
    c("parseAs-json", [call("get", "fhirjson", {"parseAs": "json"})]),
    c("parseAs-text", [call("get", "json", {"parseAs": "text"})]),
    c("parseAs-base64", [call("get", "text", {"parseAs": "base64"})]),
    c("references", [call("get", "json"), call("get", "text")]),
    # errors and redirects
    c("status-404", [call("get", "status/404")]),
    c("status-500", [call("get", "status/500")]),
    c("errors-accept-404", [call("get", "status/404", {"errors": {"404": False}})]),
    c("errors-false", [call("get", "status/500", {"errors": False})]),
    c("errors-message", [call("get", "status/409", {"errors": {"409": "Duplicate"}})]),
    c("errors-make-200-an-error", [call("get", "json", {"errors": {"200": True}})]),
    c("redirect-followed", [call("get", "redirect")]),
    c("redirect-not-followed", [call("get", "redirect", {"maxRedirections": 0})]),
    c("redirect-301", [call("get", "moved", {"followAllRedirects": False})]),
    # parseXML
    c("parseXML-no-script", [call("parseXML", "<a><b>1</b></a>")], deliberate="D5", py_expect={"state": {"data": {"body": "<a><b>1</b></a>"}}}),
    c("parseXML-reference", [call("get", "xml", {"parseAs": "text"}), call("parseXML", call("dataValue", "$"), code("$ => '{\"n\": 1}'", "lambda root: '{\"n\": 1}'"))]),
    c("parseXML-script", [call("parseXML", "<p><n id='1'>Ann</n><n id='2'>Bo</n></p>",
                               code("$ => JSON.stringify($('n').map((i, el) => ({ id: $(el).attr('id'), name: $(el).text() })).get())",
                                    "lambda root: json.dumps([{'id': n.get('id'), 'name': n.text} for n in root.iter('n')])"))],
      deliberate="D4", py_expect={"state": {"data": [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bo"}]}}),
    c("parseXML-script-text", [call("parseXML", "<p><n>Ann</n></p>", code("$ => $('n').text()", "lambda root: root.find('n').text"))],
      deliberate="D4", py_expect={"state": {"data": {"body": "Ann"}}}),
    # helpers re-exported from common
    c("util-encode", [call("fn", code("s => ({ ...s, out: util.encode('hi') })", "lambda s: {**s, 'out': util.encode('hi')}"))]),
]
