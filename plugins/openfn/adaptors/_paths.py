"""JSONPath for the common operations: jsonpath-ng's parser, with jsonpath-plus's meaning where they differ.

Paths are compiled when an operation is built, so a typo fails the job before anything runs. As in
jsonpath-plus (OpenFn's JavaScript), a filter ``[?(...)]`` is a JavaScript expression judged by JavaScript
truthiness (``_jsfilter``), ``.length`` is the length of a list or text, and ``[-1]`` is the key '-1' (no
match; ``[-1:]`` is the last item).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jsonpath_ng import DatumInContext, Fields, Index, JSONPath
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext import parse
from jsonpath_ng.ext.filter import Filter

from openfn.adaptors._args import describe
from openfn.adaptors._jsfilter import Expression, FilterSyntaxError
from openfn.errors import OperationArgumentError

PATH_FIX = "Write a JSONPath such as '$.data.name', '$.data.items[*].id' or '$..case_id'."


_FILTER_KEY = "__openfn_filter_"


class JsFilter(JSONPath):
    """``[?(expression)]``: the items (or object values) for which the JavaScript expression is truthy."""

    def __init__(self, expression: Expression) -> None:
        self.expression = expression
        self.root: Any = None

    def find(self, datum: Any) -> list[DatumInContext]:
        datum = DatumInContext.wrap(datum)
        value = datum.value
        if isinstance(value, list):
            pairs = [(Index(position), item) for position, item in enumerate(value)]
        elif isinstance(value, dict):
            pairs = [(Fields(key), item) for key, item in value.items()]
        else:
            return []
        root = datum
        while root.context is not None:
            root = root.context
        return [DatumInContext(item, path=path, context=datum) for path, item in pairs if self.expression.matches(item, root.value)]

    def __str__(self) -> str:
        return f"[?({self.expression.text})]"


class JsFields(Fields):
    """A field, with ``length`` meaning the length of a list or text as in JavaScript."""

    def find(self, datum: Any) -> list[DatumInContext]:
        datum = DatumInContext.wrap(datum)
        if "length" in self.fields and isinstance(datum.value, list | str):
            return [DatumInContext(len(datum.value), path=Fields("length"), context=datum)]
        return super().find(datum)


class JsIndex(Index):
    """An index; a negative one names a key such as '-1' that no list has, as in JavaScript."""

    def find(self, datum: Any) -> list[DatumInContext]:
        return [match for index in self.indices if index >= 0 for match in Index(index).find(datum)]


def _extract_filters(path: str) -> tuple[str, list[str]]:
    """``path`` with each ``[?(...)]`` replaced by a placeholder jsonpath-ng can parse, and the filters' text."""
    filters: list[str] = []
    out, position = [], 0
    while (start := path.find("[?(", position)) >= 0:
        depth, quote, cursor = 1, None, start + 3
        while cursor < len(path) and depth:
            char = path[cursor]
            if quote:
                quote = None if char == quote and path[cursor - 1] != "\\" else quote
            elif char in "'\"":
                quote = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            cursor += 1
        if depth or path[cursor : cursor + 1] != "]":
            raise JSONPathError(f"the filter at position {start} is not closed with ')]'")
        out.append(path[position:start] + f"[?(@.{_FILTER_KEY}{len(filters)})]")
        filters.append(path[start + 3 : cursor - 1])
        position = cursor + 1
    out.append(path[position:])
    return "".join(out), filters


def _javascript(node: Any, filters: list[Expression]) -> Any:
    """The tree with jsonpath-ng's filters, fields and indices replaced by their JavaScript meaning."""
    if isinstance(node, Filter):
        placeholder = re.search(rf"{_FILTER_KEY}(\d+)", str(node))
        if len(node.expressions) != 1 or not placeholder:
            raise JSONPathError(f"unsupported filter {node}")
        return JsFilter(filters[int(placeholder[1])])
    if type(node) is Fields:
        return JsFields(*node.fields)
    if type(node) is Index:
        return JsIndex(*node.indices)
    for name, child in list(vars(node).items()):
        if isinstance(child, JSONPath):
            setattr(node, name, _javascript(child, filters))
    return node


# jsonpath-plus's readings that jsonpath-ng spells differently, applied outside filters: a backtick escapes a
# key ('.`@id' is the key '@id'), a '$' step inside a path stays where it is, '.[' descends (as '..['), and a key
# holding '$' (referencePath's '$.references$') is a plain key.
_JS_SPELLINGS = (
    (re.compile(r"\.`([^.\[\]]+)|\[`([^\]]+)\]"), lambda m: f"[{(m[1] or m[2])!r}]"),
    (re.compile(r"(?<=.)\.\$(?=$|[.\[])"), lambda m: ""),
    (re.compile(r"(?<!\.)\.\["), lambda m: "..["),
    (re.compile(r"\.([^.\[\]'\"]*\$[^.\[\]'\"]*)"), lambda m: f"[{m[1]!r}]"),
    (re.compile(r"(?<=[^.])\.$"), lambda m: ""),  # a trailing '.' ('[0].' from last_reference_value('')) is dropped
)


def _jsonpath_ng_spelling(text: str) -> str:
    for pattern, replace in _JS_SPELLINGS:
        text = pattern.sub(replace, text)
    return text


@lru_cache(maxsize=1024)
def _parse(path: str) -> JSONPath:
    text, filters = _extract_filters(path)
    text = _jsonpath_ng_spelling(text)
    try:
        expressions = [Expression(source) for source in filters]
    except FilterSyntaxError as error:
        raise JSONPathError(str(error)) from None
    return _javascript(parse(text), expressions)


def compile_path(path: Any, operation: str, argument: str = "path") -> JSONPath:
    """The compiled JSONPath, or an OperationArgumentError naming the operation and argument."""
    if not isinstance(path, str) or not path.strip():
        raise OperationArgumentError(f"{operation}() needs a JSONPath string for `{argument}`, got {describe(path)}.", fix=PATH_FIX)
    try:
        compiled = _parse(path)
    except JSONPathError as error:
        raise OperationArgumentError(f"{operation}() got an invalid JSONPath {path!r} for `{argument}` ({error}).", fix=PATH_FIX) from None
    if _intersects(compiled):
        raise OperationArgumentError(f"{operation}() got the JSONPath {path!r} for `{argument}`, whose '&' (intersection) jsonpath-ng cannot evaluate.", fix=PATH_FIX)
    return compiled


def _intersects(node: Any) -> bool:
    """jsonpath-ng parses 'a & b' but raises NotImplementedError when it is evaluated."""
    if type(node).__name__.lstrip("_") == "Intersect":
        return True
    children = vars(node).values() if hasattr(node, "__dict__") else ()
    return any(_intersects(child) for child in children if isinstance(child, JSONPath))


def find(path: JSONPath, document: Any) -> list[Any]:
    """Every value the path matches, in document order (like jsonpath-plus, always a list)."""
    return [match.value for match in path.find(document)]


def first(path: JSONPath, document: Any) -> Any:
    """The first match, or None when nothing matches (JavaScript's ``undefined``)."""
    matches = path.find(document)
    return matches[0].value if matches else None


def rooted(root: str, path: Any, operation: str) -> str:
    """``root`` followed by ``path`` without its leading '$' and '.' characters, as language-common joins them:
    at least one character is kept ('$' stays '$'), and an empty path is an error."""
    found = re.match(r"[$.]*(.+)", path) if isinstance(path, str) else None
    if not found:
        raise OperationArgumentError(f"{operation}() needs a non-empty path string, got {describe(path)}.", fix=PATH_FIX)
    return f"{root}{found[1]}"


def data_path(path: str) -> str:
    """The JSONPath of ``path`` inside ``state["data"]``: 'name', '.name' and '$.name' are all '$.data.name'.

    As in language-common, '[0].x' gives '$.data.[0].x' (a '.[' searches every depth below data, so the
    first match is data[0].x) and '$' gives '$.data.$', the data itself.

    Example:
        operations = [each(data_path("patients[*]"), fn(register))]  # '$.data.patients[*]'
    """
    return rooted("$.data.", path, "data_path")


def reference_path(path: str) -> str:
    """The JSONPath of ``path`` inside ``state["references"]``: ``reference_path("[0].id")`` is '$.references[0].id'.

    The path is joined without a dot, as in language-common: start it with '[' ('id' gives '$.referencesid',
    which matches nothing).

    Example:
        operations = [fn(lambda state: {**state, "first_id": source_value(reference_path("[0].id"))(state)})]
    """
    return rooted("$.references", path, "reference_path")


def json_value(document: Any, path: str) -> Any:
    """The first value at ``path`` in any JSON-like document, or None.

    Example:
        operations = [fn(lambda state: {**state, "case_id": json_value(state["data"], "$.form.case.@case_id")})]
    """
    return first(compile_path(path, "json_value"), document)
