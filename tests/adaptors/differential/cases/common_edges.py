"""language-common edge cases that real jobs hit: CommCare's '@' keys in paths, the path helpers on unusual
paths, JavaScript's number and text rules, what log/debug/cursor print, cursors, parseCsv's corners and
references that are not JSON (dates)."""

from tests.adaptors.differential.dsl import UNDEFINED, Case, call, code, out

FORM = {
    "form": {"@case_id": "c-1", "@name": "visit", "case": {"@case_id": "c-2", "@date_modified": "2024-03-01"},
             "subcases": [{"@id": "s1"}, {"@id": "s2"}], "plain": 1},
    "rows": [{"x": 1}, {"x": 2}],
}  # fmt: skip
STATE = {"data": FORM, "references": [{"id": "r0"}, {"id": "r1"}]}
EMPTY = {"data": {}, "references": []}
DATE = code("new Date(Date.UTC(2024, 0, 5, 6, 7, 8))", "__import__('datetime').datetime(2024, 1, 5, 6, 7, 8, tzinfo=__import__('datetime').timezone.utc)")


def c(id, ops, state=None, **extra):
    return Case(f"common-{id}", "common", ops, STATE if state is None else state, **extra)


def csv(id, text, options=None, **extra):
    args = [text] if options is None else [text, options]
    return c(f"parseCsv-{id}", [call("parseCsv", *args)], EMPTY, **extra)


def logged(id, ops, state=None, **extra):
    return c(f"log-{id}", ops, state, logs=True, **extra)


CASES = [
    # paths with CommCare's '@' keys
    c("at-dot", [out(call("source", "$.data.form.@case_id"))], deliberate="D9", py_expect={"state": {"out": ["c-1"]}}),
    c("at-dot-nested", [out(call("sourceValue", "$.data.form.case.@date_modified"))]),
    c("at-bracket", [out(call("sourceValue", "$.data.form['@case_id']"))], deliberate="D9", py_expect={"state": {"out": "c-1"}}),
    c("at-bracket-double-quotes", [out(call("sourceValue", '$.data.form["@name"]'))], deliberate="D9", py_expect={"state": {"out": "visit"}}),
    c("at-backtick", [out(call("sourceValue", "$.data.form.`@case_id"))]),
    c("at-in-list", [out(call("source", "$.data.form.subcases[*].@id"))]),
    c("at-deep", [out(call("source", "$..@case_id"))], deliberate="D9", py_expect={"state": {"out": ["c-1", "c-2"]}}),
    c("at-dataValue", [out(call("dataValue", "form.@case_id"))], deliberate="D9", py_expect={"state": {"out": "c-1"}}),
    c("at-dataValue-bracket", [out(call("dataValue", "form['@case_id']"))], deliberate="D9", py_expect={"state": {"out": "c-1"}}),
    c("at-dataValue-nested", [out(call("dataValue", "form.case.@case_id"))]),
    c("at-jsonValue", [out(call("jsonValue", FORM, "$.form.@name"))]),
    c("at-each", [call("each", "$.data.form.subcases[*]", call("fn", code("s => ({ ...s, seen: [...(s.seen || []), s.data['@id']] })", "lambda s: {**s, 'seen': [*(s.get('seen') or []), s['data']['@id']]}")))]),
    c("at-missing", [out(call("dataValue", "form.@nothing"))], deliberate="D9", py_expect={"state": {"data": FORM}}),
    # dataPath, dataValue, referencePath on unusual paths
    c("dataPath-dollar", [out(call("dataPath", "$"))]),
    c("dataPath-index", [out(call("dataPath", "[0].x"))]),
    c("dataPath-plain", [out(call("dataPath", "form"))]),
    c("dataPath-empty", [out(call("dataPath", ""))]),
    c("dataValue-dollar-whole", [out(call("dataValue", "$"))]),
    c("dataValue-index", [out(call("dataValue", "[1].x"))], {"data": [{"x": 1}, {"x": 2}], "references": []}),
    c("dataValue-plain", [out(call("dataValue", "rows"))]),
    c("dataValue-empty", [out(call("dataValue", ""))]),
    c("referencePath-dollar", [out(call("referencePath", "$"))]),
    c("referencePath-plain", [out(call("referencePath", "id"))]),
    c("referencePath-empty", [out(call("referencePath", ""))]),
    c("referencePath-read", [out(call("sourceValue", call("referencePath", "[1].id")))]),
    c("lastReferenceValue-first", [out(call("lastReferenceValue", "id"))]),
    # a path given as a function of state
    c("map-path-function", [call("map", call("dataValue", "rows"), code("(r) => r.x", "lambda r: r['x']"))], deliberate="D10", py_expect={"state": {"data": [1, 2]}}),
    c("map-path-text", [call("map", "$.data.rows[*].x", code("(x, i) => x + i", "lambda x, i: x + i"))]),
    c("each-path-function", [call("each", call("dataValue", "rows"), call("fn", code("s => ({ ...s, n: (s.n || 0) + s.data.x })", "lambda s: {**s, 'n': (s.get('n') or 0) + s['data']['x']}")))]),
    # values to text
    c("arrayToString-numbers", [out(call("arrayToString", [1e21, 1e-7, 0, -0.0, 1.5, 100.0, 123456789012345680000.0, 0.1, 1e-6, 2.5e-8], ";"))]),
    c("arrayToString-booleans", [out(call("arrayToString", [True, False, None], "|"))]),
    c("arrayToString-objects", [out(call("arrayToString", [{"a": 1}, [1, [2, 3]], [], [None, 1.0]]))]),
    c("arrayToString-undefined-separator", [out(call("arrayToString", ["a", "b"], UNDEFINED))]),
    c("humanProper-accents", [out(call("humanProper", "élodie_ñandú-ÉCOLE über"))]),
    c("humanProper-sharp-s", [out(call("humanProper", "straße_ßtart"))]),
    c("humanProper-digits", [out(call("humanProper", "2nd_visit 3RD"))]),
    c("humanProper-nbsp", [out(call("humanProper", "ab\u00a0cd ef"))]),
    logged("scrubEmojis-warning", [out(call("scrubEmojis", "Dove🕊️ ok", ""))]),
    logged("scrubEmojis-no-warning", [out(call("scrubEmojis", "Dove🕊️ ok", "-"))]),
    logged("scrubEmojis-empty-text", [out(call("scrubEmojis", "", ""))]),
    # what log, debug and cursor print
    logged("text", [call("log", "hello", "world")]),
    logged("object", [call("log", "form:", {"a": 1, "b": [1, 2.0, {"c": None}], "d": {}, "e": []})]),
    logged("array", [call("log", [1, "x", True, None])]),
    logged("numbers", [call("log", 5, 1.5, 1e21, 1e-7, -0.0, 100.0)]),
    logged("booleans", [call("log", True, False)]),
    logged("null-alone", [call("log", None)]),
    logged("null-among", [call("log", "value:", None)]),
    logged("undefined", [call("log", "value:", call("dataValue", "missing"))], deliberate="D11", py_expect={"logs": [["info", "value: null"]]}),
    logged("nothing", [call("log")]),
    logged("empty-text", [call("log", "")]),
    logged("reference", [call("log", call("dataValue", "form.case"))]),
    logged("nested-empty", [call("log", {"a": {}, "b": [[]]})]),
    logged("unicode", [call("log", {"name": "Zoë ✓"})]),
    logged("date", [call("log", DATE)], deliberate="D12", py_expect={"logs": [["info", '"2024-01-05T06:07:08.000Z"']]}),
    logged("debug", [call("debug", "detail", {"k": [1]})]),
    logged("cursor-number", [call("cursor", 5)], EMPTY),
    logged("cursor-object", [call("cursor", {"page": 2, "ids": [1]})], EMPTY),
    logged("cursor-array", [call("cursor", [1, 2])], EMPTY),
    logged("cursor-boolean", [call("cursor", False)], EMPTY),
    logged("cursor-undefined", [call("cursor", UNDEFINED)], EMPTY),
    logged("cursor-null-default", [call("cursor", None, {"defaultValue": 3})], EMPTY),
    logged("cursor-zero", [call("cursor", 0, {"defaultValue": 3})], EMPTY),
    logged("cursor-text", [call("cursor", "page-2")], EMPTY),
    logged("cursor-empty-text", [call("cursor", "", {"defaultValue": "x"})], EMPTY),
    logged("cursor-date-formatted", [call("cursor", "today", {"format": code("d => dateFns.format(d, 'HH:mm:ss')", "lambda d: date_fns.format(d, 'HH:mm:ss')")})], EMPTY),
    logged("cursor-format-undefined", [call("cursor", 4, {"format": code("() => undefined", "lambda v: None")})], EMPTY),
    logged("cursor-date-value", [call("cursor", DATE)], EMPTY, deliberate="D12",
           py_expect={"state": {"cursor": "2024-01-05T06:07:08.000Z"}, "logs": [["info", 'Setting cursor to: "2024-01-05T06:07:08.000Z"']]}),
    # cursor: relative dates, keys, the input state
    c("cursor-start-recent", [call("cursor", "start", {"format": code("d => (Date.now() - d.getTime() < 600000 && d.getTime() <= Date.now()) ? 'recent' : 'old'",
                                                                        "lambda d: 'recent' if 0 <= (__import__('datetime').datetime.now(__import__('datetime').timezone.utc) - d).total_seconds() < 600 else 'old'")})], EMPTY),
    c("cursor-hours-ago", [call("cursor", "3 hours ago", {"format": code("d => Math.round((Date.now() - d.getTime()) / 3600000)",
                                                                           "lambda d: round((__import__('datetime').datetime.now(__import__('datetime').timezone.utc) - d).total_seconds() / 3600)")})], EMPTY),
    c("cursor-days-ago", [call("cursor", "2 days ago", {"format": code("d => dateFns.format(d, 'HH:mm')", "lambda d: date_fns.format(d, 'HH:mm')")})], EMPTY),
    c("cursor-yesterday", [call("cursor", "yesterday", {"format": code("d => dateFns.format(d, 'HH:mm:ss')", "lambda d: date_fns.format(d, 'HH:mm:ss')")})], EMPTY),
    c("cursor-iso-text", [call("cursor", "2024-01-05")], EMPTY),
    c("cursor-key-function", [call("cursor", 1, {"key": call("dataValue", "form.plain")}), call("cursor", 2, {"key": "cursor"})]),
    c("cursor-changes-input", [call("fn", code("s => { const next = cursor(5)(s); return { ...next, same: next === s, inputHas: 'cursor' in s }; }",
                                                "lambda s: (lambda n: {**n, 'same': n is s, 'inputHas': 'cursor' in s})(cursor(5)(s))"))], EMPTY),
    # parseCsv
    csv("chunk-1", "n\n1\n2\n3", {"chunkSize": 1}),
    csv("chunk-larger", "n\n1\n2", {"chunkSize": 10}),
    csv("chunk-0", "n\n1", {"chunkSize": 0}),
    csv("whitespace-line", "a,b\n1,2\n   \n3,4"),
    csv("whitespace-line-one-column", "a\n1\n  \n2"),
    csv("tab-line", "a\n1\n\t\n2"),
    csv("doubled-quotes", 'a,b\n"x ""y""",2'),
    csv("quote-inside-field", 'a,b\nx"y,2'),
    csv("quote-after-space", 'a,b\n "x",2'),
    csv("unclosed-quote", 'a,b\n"x,2', message=True),
    csv("text-after-closing-quote", 'a,b\n"x"y,2', message=True),
    csv("record-length", "a,b\n1,2,3", message=True),
    csv("record-length-short", "a,b\n1", message=True),
    csv("multi-character-delimiter", "a||b\n1||2\n3|4||5", {"delimiter": "||"}),
    csv("tab-delimiter", "a\tb\n1\t2", {"delimiter": "\t"}),
    csv("single-quote", "a,b\n'x,y',2", {"quote": "'"}),
    csv("unknown-option", "a,b\nx,1\ny,2", {"from_line": 2, "relax_quotes": True}, deliberate="D3", py_expect={"error": {}}),
    csv("columns-false", "a,b\n1,2", {"columns": False}),
    csv("columns-list", "1,2\n3,4", {"columns": ["x", "y"]}),
    csv("trim-inside-quotes", 'a,b\n" x ",  y  '),
    csv("no-trim", "a, b\n1 , 2", {"trim": False, "ltrim": False, "rtrim": False}),
    csv("crlf", "a,b\r\n1,2\r\n3,4\r\n"),
    csv("newline-in-quotes", 'a,b\n"x\ny",2'),
    csv("bom", "\ufeffa,b\n1,2"),
    csv("empty", ""),
    csv("header-only", "a,b\n"),
    csv("keep-empty-lines", "a\n1\n\n2", {"skip_empty_lines": False}),
    csv("duplicate-columns", "a,a\n1,2"),
    c("parseCsv-bytes", [call("parseCsv", code("Buffer.from('a\\n1')", "b'a\\n1'"))], EMPTY, deliberate="D13", py_expect={"state": {"data": [{"a": "1"}]}}),
    # references that are not JSON
    c("expand-date-merge", [out(call("merge", "$.data.rows[*]", call("fields", call("field", "when", DATE))))], deliberate="D12",
      py_expect={"state": {"out": [{"x": 1, "when": "2024-01-05T06:07:08.000Z"}, {"x": 2, "when": "2024-01-05T06:07:08.000Z"}]}}),
    c("expand-date-fnIf", [call("fnIf", DATE, call("fn", code("s => ({ ...s, ran: true })", "lambda s: {**s, 'ran': True}")))]),
    c("expand-undefined-in-list", [out(call("merge", "$.data.rows[*]", {"a": [1, UNDEFINED, None]}))]),
    c("expand-nested-functions", [out(call("merge", "$.data.rows[*]", {"a": code("s => () => s.data.form.plain", "lambda s: lambda t: s['data']['form']['plain']")}))]),
]
