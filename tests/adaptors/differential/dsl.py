"""The language the differential cases are written in: JSON that both runners (Python and Node) turn into calls.

A case is a job: a list of ``call(name, *args)`` (OpenFn's JavaScript name, e.g. ``'fnIf'``, ``'fhir.get'``),
run on a starting state. Arguments are JSON, ``call(...)`` (a nested operation or a function of state such as
``dataValue``), ``code(js, py)`` (the same function written in each language), or ``UNDEFINED``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNDEFINED = {"$undefined": True}


def call(name: str, *args: Any) -> dict:
    """``name(*args)`` in the adaptor module: an operation, or a helper such as ``dataValue``."""
    return {"$call": name, "args": list(args)}


def out(value: Any, key: str = "out") -> dict:
    """An operation setting ``state[key]`` to ``value``, called with the state when it is a function of state."""
    return {"$out": value, "key": key}


def code(js: str, py: str) -> dict:
    """One function written twice: ``js`` is a JavaScript expression, ``py`` a Python one (both see the adaptor's names)."""
    return {"$fn": {"js": js, "py": py}}


@dataclass(frozen=True)
class Case:
    """One behaviour, run through both adaptors.

    ``py_ops`` replaces ``ops`` on the Python side where the two adaptors spell an operation differently
    (fhir's ``read`` for language-fhir's ``get('Patient/1')``). A ``deliberate`` case names a row of the table
    of deliberate differences in docs/adaptors.md; it passes when the two outcomes differ and the Python one is
    ``py_expect``. With ``logs`` the lines the job logged are compared as OpenFn's logger writes them (objects
    as indented JSON); with ``message`` the error message is compared too.
    """

    id: str
    adaptor: str
    ops: list
    state: dict = field(default_factory=dict)
    py_ops: list | None = None
    deliberate: str | None = None
    py_expect: dict | None = None
    logs: bool = False  # compare what the job logged (level and text of each line) too
    message: bool = False  # compare the error message too (Python's without its exception class)

    def job(self, side: str) -> list:
        return self.py_ops if side == "py" and self.py_ops is not None else self.ops

    def as_json(self) -> dict:
        return {"id": self.id, "ops": self.ops, "state": self.state, "logs": self.logs}
