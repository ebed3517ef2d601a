"""References: operation arguments that are functions of state, resolved only when the operation runs.

``post("/patients", body={"name": data_value("name")})`` is built once when the job is loaded; the
``data_value`` inside is called with the state of the moment, however deep it sits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import describe, is_function
from openfn.adaptors._paths import compile_path, find
from openfn.errors import OperationArgumentError


def resolve(state: dict, value: Any) -> Any:
    """``value`` with every function of state in it called with ``state``, through dicts, lists and tuples.

    A function's result is resolved again (a function may return a function). Anything else, bytes,
    compiled regexes and file objects included, is returned as it is.

    Example:
        operations = [fn(lambda state: {**state, "body": resolve(state, {"name": data_value("name")})})]
    """
    if is_function(value):
        return resolve(state, value(state))
    if isinstance(value, dict):
        return {key: resolve(state, item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(state, item) for item in value]
    if isinstance(value, tuple):
        return tuple(resolve(state, item) for item in value)
    return value


def expand_references(state: dict, *values: Any) -> list[Any]:
    """Each of ``values`` resolved against ``state`` (see ``resolve``), as a list in the same order.

    Example:
        def tag(state):
            name, site = expand_references(state, data_value("name"), source_value("$.site"))
            return {**state, "label": f"{name}@{site}"}

        operations = [fn(tag)]
    """
    return [resolve(state, value) for value in values]


def as_data(data: Any, state: dict) -> Any:
    """A data source read from state: a JSONPath string gives all its matches, a function is called.

    Anything else is the data itself.

    Example:
        operations = [fn(lambda state: {**state, "ids": as_data("$.data.patients[*].id", state)})]
    """
    if isinstance(data, str):
        return find(compile_path(data, "as_data", "data"), state)
    if is_function(data):
        return data(state)
    return data


def items_reader(operation: str, argument: str, source: Any, *, expand: bool) -> Callable[[dict], list]:
    """Check a data source when the operation is built; return the function that reads its items.

    ``expand`` resolves references inside the items too (``group`` does, ``each`` and ``map`` do not).
    """
    if isinstance(source, str):
        path = compile_path(source, operation, argument)
        return lambda state: find(path, state)
    if isinstance(source, list | tuple):
        return (lambda state: list(resolve(state, source))) if expand else (lambda state: list(source))
    if not is_function(source):
        raise OperationArgumentError(
            f"{operation}() needs a JSONPath string, a list or a function of state for `{argument}`, got {describe(source)}.",
            fix="Pass for example '$.data.patients[*]', a list of items, or data_value('patients').",
        )

    def read(state: dict) -> list:
        items = resolve(state, source) if expand else source(state)
        if not isinstance(items, list | tuple):
            raise TypeError(f"{operation}(): `{argument}` gave {describe(items)} instead of a list of items.")
        return list(items)

    return read
