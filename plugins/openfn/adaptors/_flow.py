"""Operations that run other operations or functions: fn, fn_if, combine, each, map, group, as_."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import describe, ensure_state, is_function, named, positional_count, require_function
from openfn.adaptors._references import items_reader, resolve
from openfn.adaptors._values import MISSING, get_path, js_string, js_truthy
from openfn.errors import OperationArgumentError

Operation = Callable[[dict], dict]


def fn(func: Operation) -> Operation:
    """An operation made of your own function: it takes the state and returns the next state.

    Example:
        def tidy(state):
            state["data"]["name"] = state["data"]["name"].title()
            return state

        operations = [fn(tidy)]
    """
    require_function("fn", "func", func, fix="Pass a function that takes the state dict and returns the next state.")

    # Named after the user's function, so a failure reads 'operation 2 (fn(second))'.
    @named(f"fn({getattr(func, '__name__', 'lambda')})")
    def operation(state: dict) -> dict:
        return func(state)

    return operation


def alter_state(func: Operation) -> Operation:
    """The old name of ``fn`` (``alterState`` in OpenFn jobs), kept so ported jobs read the same.

    Example:
        operations = [alter_state(lambda state: {**state, "references": []})]
    """
    require_function("alter_state", "func", func, fix="Pass a function that takes the state dict and returns the next state.")
    return named("alter_state")(fn(func))


def fn_if(condition: Any, operation: Operation) -> Operation:
    """Run ``operation`` only when ``condition`` (a value or a function of state) is truthy as in JavaScript:
    an empty list or dict counts as true; None, False, 0 and '' as false.

    Example:
        operations = [fn_if(data_value("form.consent"), post("/patients", body=data_value("form")))]
    """
    require_function("fn_if", "operation", operation)

    @named("fn_if")
    def conditional(state: dict) -> dict:
        return operation(state) if js_truthy(resolve(state, condition)) else state

    return conditional


def combine(*operations: Operation) -> Operation:
    """One operation that runs ``operations`` in order, each on a shallow copy of the state so far.

    Example:
        register = combine(post("/patients", body=data_value("patient")), fn(remember_id))
        operations = [register]
    """
    for position, operation in enumerate(operations, start=1):
        require_function("combine", f"operations[{position}]", operation)

    @named("combine")
    def combined(state: dict) -> dict:
        for operation in operations:
            state = ensure_state("combine", operation({**state}))
        return state

    return combined


def each(data_source: Any, operation: Operation) -> Operation:
    """Run ``operation`` once per item, with ``data`` set to the item and ``index`` to its position.

    ``data_source`` is a JSONPath into the state (its matches are the items, so use '[*]' to walk a
    list), a list, or a function of state returning a list. The state each call returns is the
    state the next one gets, and the state ``each`` returns (its ``data`` is the last call's).

    Example:
        operations = [each("$.data.form.patients[*]", post("/patients", body=data_value("$")))]
    """
    read_items = items_reader("each", "data_source", data_source, expand=False)
    require_function("each", "operation", operation)

    @named("each")
    def run_each(state: dict) -> dict:
        for index, item in enumerate(read_items(state)):
            state = ensure_state("each", operation({**state, "data": item, "index": index}))
        return state

    return run_each


def beta_each(data_source: Any, operation: Operation) -> Operation:
    """``each``, but ``data`` is put back as it was before once every item has run (language-common's ``beta.each``).

    Example:
        operations = [beta.each("$.data.patients[*]", post("/patients", body=data_value("$"))), fn(use_the_form_again)]
    """
    inner = each(data_source, operation)

    @named("beta.each")
    def run_each(state: dict) -> dict:
        return {**inner(state), "data": state.get("data")}

    return run_each


def map_(path: Any, callback: Callable[..., Any]) -> Operation:
    """``data`` becomes the list of ``callback(item, index, state)`` for each item (like ``Array.map``).

    ``path`` is a JSONPath (its matches are the items), a list, or a function of state returning a list.
    The callback may declare fewer arguments: ``lambda item: ...`` is called with the item alone.
    Exported as ``map``.

    Example:
        operations = [map("$.data.form.patients[*]", lambda patient, index, state: {"id": index + 1, "name": patient["name"]})]
    """
    read_items = items_reader("map", "path", path, expand=False)
    require_function("map", "callback", callback, fix="Pass a function taking (item, index, state) and returning the new item.")
    count = positional_count(callback, 3)

    @named("map")
    def mapped(state: dict) -> dict:
        results = [callback(*(item, index, state)[:count]) for index, item in enumerate(read_items(state))]
        return {**state, "data": results}

    return mapped


def group(array_of_objects: Any, key_path: Any, callback: Operation | None = None) -> Operation:
    """``data`` becomes a dict of the items grouped by the value at ``key_path`` (lodash ``groupBy``).

    Group names are text as in JavaScript (25 -> '25', True -> 'true'); items without the key are
    left out. ``array_of_objects`` is a list, a JSONPath (its matches are the items) or a function
    of state; ``key_path`` is 'city' or 'address.city' or a function of state. ``callback``, if
    given, receives the new state and returns the next one.

    Example:
        operations = [group("$.data.patients[*]", "address.district")]
    """
    read_items = items_reader("group", "array_of_objects", array_of_objects, expand=True)
    if not (isinstance(key_path, str | list | tuple) and key_path) and not is_function(key_path):
        raise OperationArgumentError(f"group() needs a key path such as 'address.city' for `key_path`, got {describe(key_path)}.", fix="Pass the path of the value to group by.")
    if callback is not None:
        require_function("group", "callback", callback, fix="Pass a function that takes the grouped state and returns the next state.")

    @named("group")
    def grouped(state: dict) -> dict:
        key = resolve(state, key_path)
        groups: dict[str, list] = {}
        for item in read_items(state):
            value = get_path(item, key)
            if value is not MISSING:
                groups.setdefault(js_string(value), []).append(item)
        next_state = {**state, "data": groups}
        return callback(next_state) if callback else next_state

    return grouped


def as_(key: Any, operation: Operation) -> Operation:
    """Run ``operation`` but keep its ``data`` under ``state[key]``; ``data`` stays as it was.

    Everything else the operation changed in the state is kept. (``as`` in OpenFn; Python reserves it.)

    Example:
        operations = [as_("patients", get("/patients")), fn(lambda state: {**state, "count": len(state["patients"])})]
    """
    if not (isinstance(key, str) and key) and not is_function(key):
        raise OperationArgumentError(f"as_() needs a state key for `key`, got {describe(key)}.", fix="Name the key to store the result under, such as 'patients'.")
    require_function("as_", "operation", operation)

    @named("as_")
    def stored(state: dict) -> dict:
        name = resolve(state, key)
        previous = state.get("data")
        result = ensure_state("as_", operation(state))
        rest = {k: v for k, v in result.items() if k != "data"}
        return {**state, name: result.get("data"), "data": previous, **rest}

    return stored
