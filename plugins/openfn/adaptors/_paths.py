"""JSONPath for the common operations: jsonpath-ng's extended syntax standing in for jsonpath-plus.

Paths are compiled when an operation is built, so a typo fails the job before anything runs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext import parse

from openfn.adaptors._args import describe
from openfn.errors import OperationArgumentError

PATH_FIX = "Write a JSONPath such as '$.data.name', '$.data.items[*].id' or '$..case_id'."


@lru_cache(maxsize=1024)
def _parse(path: str) -> JSONPath:
    return parse(path)


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
    """``path`` made to start at ``root`` ('$.data' or '$.references'); '' or '$' is the root itself."""
    if not isinstance(path, str):
        raise OperationArgumentError(f"{operation}() needs a path string, got {describe(path)}.", fix=PATH_FIX)
    # Leading '$' and '.' are dropped so that 'name', '.name' and '$.name' all mean root.name, as in JS.
    rest = path.lstrip("$.")
    if not rest:
        return root
    return f"{root}{rest}" if rest.startswith("[") else f"{root}.{rest}"


def data_path(path: str) -> str:
    """The JSONPath of ``path`` inside ``state["data"]``.

    Unlike the JavaScript (which yields '$.data.[0].foo'), an index joins without a dot, and '$'
    alone means the data itself.

    Example:
        operations = [each(data_path("patients[*]"), fn(register))]  # '$.data.patients[*]'
    """
    return rooted("$.data", path, "data_path")


def reference_path(path: str) -> str:
    """The JSONPath of ``path`` inside ``state["references"]``: ``reference_path("[0].id")`` is '$.references[0].id'.

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
