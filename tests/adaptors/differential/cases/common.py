"""language-common: the behaviours OpenFn's own tests check (execute, each, fnIf, map, combine, join, merge,
group, assert, as, cursor, parseCsv, the path helpers, the value helpers, util) and edge cases around them."""

from tests.adaptors.differential.dsl import UNDEFINED, Case, call, code, out

ITEMS = [{"a": 1, "active": True, "tags": []}, {"a": 2, "active": False, "tags": ["x"]}, {"a": 3, "active": 0}, {"a": 4, "active": "yes"}]
PEOPLE = [
    {"name": "Jack", "age": 37, "address": {"city": "Kisumu"}, "grade": 1},
    {"name": "Larry", "age": 41, "address": {"city": "Siaya"}, "grade": 2.0},
    {"name": "Aleksa", "age": 37, "address": {"city": "Kisumu"}},
    {"name": "Zoe", "age": 29, "grade": True},
]
SEEN = code("s => ({ ...s, seen: [...(s.seen || []), s.data.a ?? s.data] })", "lambda s: {**s, 'seen': [*(s.get('seen') or []), s['data']['a'] if isinstance(s['data'], dict) and 'a' in s['data'] else s['data']]}")
MARK = call("fn", code("s => ({ ...s, ran: true })", "lambda s: {**s, 'ran': True}"))


def c(id, ops, state=None, **extra):
    return Case(f"common-{id}", "common", ops, {"data": {"items": ITEMS, "people": PEOPLE}, "references": []} if state is None else state, **extra)


def path_case(id, path):
    return c(f"source-{id}", [out(call("source", path))])


CASES = [
    # execute / fn / alterState
    c("fn-sequence", [call("fn", code("s => ({ ...s, n: 1 })", "lambda s: {**s, 'n': 1}")), call("alterState", code("s => ({ ...s, n: s.n + 1 })", "lambda s: {**s, 'n': s['n'] + 1}"))]),
    # each
    c("each-items", [call("each", "$.data.items[*]", call("fn", SEEN))]),
    c("each-index", [call("each", "$.data.items[*]", call("fn", code("s => ({ ...s, seen: [...(s.seen || []), s.index] })", "lambda s: {**s, 'seen': [*(s.get('seen') or []), s['index']]}")))]),
    c("each-filter-truthy", [call("each", "$.data.items[?(@.active)]", call("fn", SEEN))]),
    c("each-filter-compare", [call("each", "$.data.items[?(@.a > 2)]", call("fn", SEEN))]),
    c("each-filter-or", [call("each", "$.data.items[?(@.a == 1 || @.a == 4)]", call("fn", SEEN))]),
    c("each-filter-and", [call("each", "$.data.items[?(@.a > 1 && @.active)]", call("fn", SEEN))]),
    c("each-filter-missing-key", [call("each", "$.data.people[?(@.address.city == 'Kisumu')]", call("fn", code("s => ({ ...s, seen: [...(s.seen || []), s.data.name] })", "lambda s: {**s, 'seen': [*(s.get('seen') or []), s['data']['name']]}")))]),
    c("each-filter-string", [call("each", "$.data.people[?(@.name != 'Zoe' && @.age === 37)]", call("fn", SEEN))]),
    c("each-array", [call("each", [10, 20], call("fn", SEEN))]),
    c("each-function", [call("each", call("dataValue", "items"), call("fn", SEEN))]),
    c("each-nothing", [call("each", "$.data.missing[*]", call("fn", SEEN))]),
    c("each-no-star", [call("each", "$.data.items", call("fn", code("s => ({ ...s, n: s.data.length })", "lambda s: {**s, 'n': len(s['data'])}")))]),
    c("each-keeps-last-data", [call("each", [1, 2, 3], MARK)]),
    c("beta-each-restores-data", [call("beta.each", [1, 2, 3], call("fn", SEEN))]),
    c("each-negative-index", [call("each", "$.data.items[-1:]", call("fn", SEEN))]),
    # fnIf
    c("fnIf-true", [call("fnIf", True, MARK)]),
    c("fnIf-false", [call("fnIf", False, MARK)]),
    c("fnIf-empty-list", [call("fnIf", [], MARK)]),
    c("fnIf-empty-object", [call("fnIf", {}, MARK)]),
    c("fnIf-zero", [call("fnIf", 0, MARK)]),
    c("fnIf-empty-text", [call("fnIf", "", MARK)]),
    c("fnIf-text-zero", [call("fnIf", "0", MARK)]),
    c("fnIf-reference-empty-list", [call("fnIf", call("dataValue", "items[0].tags"), MARK)]),
    c("fnIf-reference-missing", [call("fnIf", call("dataValue", "missing"), MARK)]),
    c("fnIf-function", [call("fnIf", code("s => s.data.items.length > 3", "lambda s: len(s['data']['items']) > 3"), MARK)]),
    # assert
    c("assert-true", [call("assert", True), MARK]),
    c("assert-false", [call("assert", False), MARK]),
    c("assert-empty-list", [call("assert", []), MARK]),
    c("assert-empty-object", [call("assert", {}), MARK]),
    c("assert-zero", [call("assert", 0)]),
    c("assert-function", [call("assert", code("s => s.data.items.length === 4", "lambda s: len(s['data']['items']) == 4")), MARK]),
    c("assert-message", [call("assert", call("dataValue", "missing"), "no value")]),
    # map
    c("map-items", [call("map", "$.data.people[*]", code("(p, i) => ({ id: i, name: p.name })", "lambda p, i: {'id': i, 'name': p['name']}"))]),
    c("map-state", [call("map", "$.data.people[*].name", code("(n, i, s) => `${n}/${s.data.items.length}`", "lambda n, i, s: f\"{n}/{len(s['data']['items'])}\""))]),
    c("map-array", [call("map", [1, 2, 3], code("(n) => n * 2", "lambda n: n * 2"))]),
    # combine
    c("combine", [call("combine", call("fn", code("s => ({ ...s, a: 1 })", "lambda s: {**s, 'a': 1}")), call("fn", code("s => ({ ...s, b: s.a + 1 })", "lambda s: {**s, 'b': s['a'] + 1}")))]),
    # path helpers and references
    path_case("star", "$.data.items[*].a"),
    path_case("deep", "$..city"),
    path_case("union", "$.data.items[0,2].a"),
    path_case("slice", "$.data.items[1:3].a"),
    path_case("last-slice", "$.data.items[-1:].a"),
    path_case("negative-index", "$.data.items[-1]"),
    path_case("length", "$.data.items.length"),
    path_case("string-length", "$.data.people[0].name.length"),
    path_case("wildcard-object", "$.data.people[0].address.*"),
    path_case("bracket-key", "$.data['people'][1]['name']"),
    path_case("filter-truthy", "$.data.items[?(@.active)].a"),
    path_case("filter-empty-list", "$.data.items[?(@.tags)].a"),
    path_case("whole-state-data", "$.data.people[3]"),
    c("sourceValue", [out(call("sourceValue", "$.data.people[1].name"))]),
    c("sourceValue-missing", [out(call("sourceValue", "$.data.nobody"))]),
    c("dataValue", [out(call("dataValue", "people[0].address.city"))]),
    c("dataValue-dollar", [out(call("dataValue", "$.people[0].name"))]),
    c("dataPath", [out(call("dataPath", "people[0]"))]),
    c("dataPath-dot", [out(call("dataPath", ".people"))]),
    c("referencePath", [out(call("referencePath", "[0].id"))]),
    c("jsonValue", [out(call("jsonValue", {"a": {"b": [5, 6]}}, "$.a.b[1]"))]),
    c("lastReferenceValue", [out(call("lastReferenceValue", "id"))], {"data": {}, "references": [{"id": "first"}, {"id": "second"}]}),
    c("index", [call("each", [7, 8], call("fn", code("s => ({ ...s, seen: [...(s.seen || []), index()(s)] })", "lambda s: {**s, 'seen': [*(s.get('seen') or []), index()(s)]}")))]),
    c("join", [out(call("join", "$.data.people[*]", "$.data.items[0].a", "a"))]),
    c("join-keeps-own", [out(call("join", "$.data.items[*]", "$.data.people[0].name", "a"))]),
    c("merge", [out(call("merge", "$.data.people[*]", call("fields", call("field", "site", "Kisumu"), call("field", "first", call("dataValue", "items[0].a")))))]),
    c("field", [out(call("field", "k", 5))]),
    c("fields", [out(call("fields", call("field", "a", 1), call("field", "b", 2), call("field", "a", 3)))]),
    # group
    c("group-by-key", [call("group", call("dataValue", "people"), "age")]),
    c("group-by-path", [call("group", call("dataValue", "people"), "address.city")]),
    c("group-mixed-keys", [call("group", call("dataValue", "people"), "grade")]),
    c("group-missing-key", [call("group", call("dataValue", "people"), "shoe")]),
    c("group-array", [call("group", [{"k": "x"}, {"k": "y"}, {"k": "x", "n": 2}], "k")]),
    c("group-key-function", [call("group", call("dataValue", "people"), code("s => 'name'", "lambda s: 'name'"))]),
    c("group-callback", [call("group", call("dataValue", "people"), "age", code("s => ({ ...s, grouped: true })", "lambda s: {**s, 'grouped': True}"))]),
    c("group-path-text", [call("group", "$.data.people[*]", "age")], deliberate="D1", py_expect={"state": {"data": {"37": [PEOPLE[0], PEOPLE[2]], "41": [PEOPLE[1]], "29": [PEOPLE[3]]}}}),
    # as
    c("as", [call("as", "saved", call("fn", code("s => ({ ...s, data: 'new', extra: 1 })", "lambda s: {**s, 'data': 'new', 'extra': 1}")))]),
    c("as-reference-key", [call("as", call("dataValue", "people[0].name"), call("fn", code("s => ({ ...s, data: 42 })", "lambda s: {**s, 'data': 42}")))]),
    # cursor (values that are not dates: dates depend on the clock)
    c("cursor-value", [call("cursor", 5)]),
    c("cursor-text", [call("cursor", "2024-01-01T00:00:00Z")]),
    c("cursor-default", [call("cursor", UNDEFINED, {"defaultValue": "abc"})]),
    c("cursor-object", [call("cursor", {"page": 2})]),
    c("cursor-format", [call("cursor", 7, {"format": code("n => ({ page: n })", "lambda n: {'page': n}")})]),
    c("cursor-date-format", [call("cursor", "today", {"format": code("d => typeof d === 'object' ? 'date' : 'text'", "lambda d: 'text' if isinstance(d, str) else 'date'")})]),
    c("cursor-reference", [call("cursor", call("dataValue", "items[1].a"))]),
    # log / debug return state unchanged
    c("log", [call("log", "hello", call("dataValue", "items[0]")), call("debug", "x"), MARK]),
    # parseCsv
    c("parseCsv", [call("parseCsv", "name,age\nAnn,3\n Bo , 4\n\n")], {"data": {}, "references": []}),
    c("parseCsv-chunks", [call("parseCsv", "n\n1\n2\n3", {"chunkSize": 2})], {"data": {}, "references": []}),
    c("parseCsv-callback", [call("parseCsv", "n\n1\n2\n3", {"chunkSize": 2}, code("(s, rows) => ({ ...s, seen: [...(s.seen || []), rows.length] })", "lambda s, rows: {**s, 'seen': [*(s.get('seen') or []), len(rows)]}"))], {"data": {}, "references": []}),
    c("parseCsv-reference", [call("parseCsv", call("dataValue", "csv"), {"delimiter": ";"})], {"data": {"csv": "a;b\n1;2"}, "references": []}),
    # value helpers
    c("arrayToString", [out(call("arrayToString", ["a", 1, None, True], ", "))]),
    c("arrayToString-default", [out(call("arrayToString", [1, 2]))]),
    c("toArray-list", [out(call("toArray", [1, 2]))]),
    c("toArray-object", [out(call("toArray", {"a": 1}))]),
    c("toArray-text", [out(call("toArray", "a"))]),
    c("splitKeys", [out(call("splitKeys", {"a": 1, "b": 2, "c": 3}, ["b", "z"]))]),
    c("humanProper", [out(call("humanProper", "first_name-and LAST"))]),
    c("humanProper-number", [out(call("humanProper", 5))]),
    c("scrubEmojis", [out(call("scrubEmojis", "Dove🕊️⭐ ok"))]),
    c("scrubEmojis-replacement", [out(call("scrubEmojis", "Dove🕊️⭐ ok", "#"))]),
    c("scrubEmojis-remove", [out(call("scrubEmojis", "Dove🕊️ ok", ""))]),
    c("scrubEmojis-none", [out(call("scrubEmojis", "plain"))]),
    c("chunk", [out(call("chunk", [1, 2, 3, 4, 5], 2))]),
    c("composeNextState", [call("fn", code("s => composeNextState(s, { id: 1 })", "lambda s: compose_next_state(s, {'id': 1})"))]),
    # util
    c("util-encode-text", [out(call("util.encode", "hello"))]),
    c("util-encode-object", [out(call("util.encode", {"a": 1}))]),
    c("util-encode-raw", [out(call("util.encode", "{\"a\":1}", {"parseJson": False}))]),
    c("util-encode-emoji", [out(call("util.encode", "🕊️"))]),
    c("util-decode-text", [out(call("util.decode", "aGVsbG8="))]),
    c("util-decode-json", [out(call("util.decode", "eyJhIjoxfQ=="))]),
    c("util-decode-raw", [out(call("util.decode", "eyJhIjoxfQ==", {"parseJson": False}))]),
    c("util-decode-empty", [out(call("util.decode", ""))]),
    c("util-uuid", [out(code("s => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(util.uuid()) && util.uuid() !== util.uuid()",
                            "lambda s: bool(__import__('re').fullmatch(r'[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}', util.uuid())) and util.uuid() != util.uuid()"))]),
    c("util-parseUrl", [out(call("util.parseUrl", "/patients?a=1&a=2&b=", "https://example.org/api"))]),
    c("util-parseUrl-absolute", [out(call("util.parseUrl", "https://example.org/x/y?q=1"))]),
    c("util-parseDate-text", [out(call("util.parseDate", "next tuesday", None))]),
    c("dateFns-format", [out(code("s => dateFns.format(new Date(2024, 0, 5, 13, 4, 9), \"yyyy-MM-dd'T'HH:mm:ss EEE d MMM yy h a\")",
                                  "lambda s: date_fns.format(__import__('datetime').datetime(2024, 1, 5, 13, 4, 9), \"yyyy-MM-dd'T'HH:mm:ss EEE d MMM yy h a\")"))]),
    c("dateFns-parse", [out(code("s => dateFns.format(dateFns.parse('05/01/2024 13:04', 'dd/MM/yyyy HH:mm', new Date()), 'yyyy-MM-dd HH:mm')",
                                 "lambda s: date_fns.format(date_fns.parse('05/01/2024 13:04', 'dd/MM/yyyy HH:mm', None), 'yyyy-MM-dd HH:mm')"))]),
]

# Last of all: in language-common a cursor key sticks to the process (cursor() calls after it use it).
STICKY_CURSOR = [
    c("cursor-key", [call("cursor", 3, {"key": "page"})]),
    c("cursor-key-sticks", [call("cursor", 3, {"key": "page"}), call("cursor", 4)], deliberate="D2",
      py_expect={"state": {"page": 3, "cursor": 4}}),
]
