"""Build-time argument checks shared by the common operations, and the name the runtime shows for each."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from openfn.errors import OperationArgumentError

STATE_FUNCTION_FIX = "Pass an operation such as fn(...), or a function that takes the state dict."


def describe(value: Any) -> str:
    """``str 'abc'``: the type and a short repr, for error messages."""
    if value is None:
        return "None"
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{type(value).__name__} {shown}"


def is_function(value: Any) -> bool:
    """Callables count as functions of state, except classes (``str`` is callable but is a value's type)."""
    return callable(value) and not isinstance(value, type)


def require_function(operation: str, argument: str, value: Any, *, fix: str = STATE_FUNCTION_FIX) -> None:
    if not is_function(value):
        raise OperationArgumentError(f"{operation}() needs a function for `{argument}`, got {describe(value)}.", fix=fix)


def named(name: str) -> Callable[[Callable], Callable]:
    """Label an operation with its factory's name: the runtime reports failures as 'operation 2 (each)'."""

    def label(operation: Callable) -> Callable:
        operation.__openfn_name__ = name  # type: ignore[attr-defined]
        operation.__name__ = operation.__qualname__ = name
        return operation

    return label


def ensure_state(operation: str, value: Any) -> dict:
    """Operations nested in another one must hand back a state dict, or the outer one cannot go on."""
    if not isinstance(value, dict):
        raise TypeError(
            f"{operation}(): an inner operation returned {describe(value)} instead of the next state (a dict); "
            "make every operation return the state."
        )
    return value


def positional_count(function: Callable, most: int) -> int:
    """How many of ``most`` positional arguments ``function`` accepts.

    JavaScript callbacks may ignore trailing arguments (``map(path, item => ...)``); Python ones cannot,
    so callbacks are given only as many as they declare.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature: give them everything
        return most
    count = 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            return most
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return min(count, most)
