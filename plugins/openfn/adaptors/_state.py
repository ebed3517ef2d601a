"""Operations about the state itself: composing the next state, logging from it, asserting on it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import named
from openfn.adaptors._references import resolve
from openfn.adaptors._values import js_truthy, render

logger = logging.getLogger("openfn.job")

Operation = Callable[[dict], dict]


def compose_next_state(state: dict, response: Any) -> dict:
    """The next state after a call: ``data`` is ``response`` and the old ``data`` is appended to ``references``.

    The given state is not changed.

    Example:
        def save(state):
            return compose_next_state(state, {"id": "p-1", "status": "created"})

        operations = [fn(save)]
    """
    return {**state, "data": response, "references": [*(state.get("references") or []), state.get("data")]}


def log(*values: Any) -> Operation:
    """Log ``values`` at INFO on the 'openfn.job' logger, as OpenFn's logger writes them: text as is, numbers
    as JavaScript writes them, lists and dicts as JSON indented by two spaces; no line for a lone None.

    Functions of state among ``values`` are resolved first.

    Example:
        operations = [log("Patients received:", data_value("patients"))]
    """
    return _logger("log", logging.INFO, values)


def debug(*values: Any) -> Operation:
    """Like ``log``, at DEBUG level (hidden unless the task log level shows DEBUG).

    Example:
        operations = [debug("Full form:", data_value("$"))]
    """
    return _logger("debug", logging.DEBUG, values)


def _logger(name: str, level: int, values: tuple[Any, ...]) -> Operation:
    @named(name)
    def write(state: dict) -> dict:
        resolved = resolve(state, list(values))
        # As OpenFn's logger: nothing is written for no values, or for a lone null.
        if logger.isEnabledFor(level) and resolved and resolved != [None]:
            logger.log(level, "%s", " ".join(render(value) for value in resolved))
        return state

    return write


def assert_(expression: Any, error_message: Any = None) -> Operation:
    """Fail the job with AssertionError unless ``expression`` (a value or a function of state) is truthy as in
    JavaScript (an empty list or dict passes; None, False, 0 and '' fail).

    ``error_message`` (text or a function of state) replaces the default message.

    Example:
        operations = [assert_(lambda state: state["data"].get("case_id"), "The form has no case_id.")]
    """

    @named("assert_")
    def check(state: dict) -> dict:
        value, message = resolve(state, [expression, error_message])
        if not js_truthy(value):
            raise AssertionError(message or f"assertion statement failed with {render(value)}")
        return state

    return check
