"""Functions of state that read values with JSONPath: the references passed as operation arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openfn.adaptors._args import describe, is_function
from openfn.adaptors._paths import compile_path, find, first, rooted
from openfn.adaptors._references import resolve
from openfn.errors import OperationArgumentError

Reference = Callable[[dict], Any]


def source(path: str) -> Reference:
    """A function of state giving every value at ``path`` (a list, empty when nothing matches).

    Example:
        operations = [post("/visits/bulk", body=source("$.data.form.visits[*]"))]
    """
    compiled = compile_path(path, "source")
    return lambda state: find(compiled, state)


def source_value(path: str) -> Reference:
    """A function of state giving the first value at ``path`` in the whole state, or None.

    Example:
        operations = [post("/patients", body={"site": source_value("$.configuration.site_id")})]
    """
    compiled = compile_path(path, "source_value")
    return lambda state: first(compiled, state)


def data_value(path: str) -> Reference:
    """A function of state giving the first value at ``path`` inside ``state["data"]``, or None.

    'name', '.name' and '$.name' all mean ``data["name"]``; '$' alone is the whole of ``data``.

    Example:
        operations = [post("/patients", body={"name": data_value("form.patient_name"), "form": data_value("$")})]
    """
    compiled = compile_path(rooted("$.data.", path, "data_value"), "data_value")
    return lambda state: first(compiled, state)


def last_reference_value(path: str) -> Reference:
    """A function of state giving the value at ``path`` in ``state["references"][0]``.

    As in language-common, this reads the first entry of ``references``; ``compose_next_state``
    appends, so that is the oldest one kept.

    Example:
        operations = [get("/patients"), post("/visits", body={"patient": last_reference_value("id")})]
    """
    compiled = compile_path(rooted("$.references", f"[0].{path}" if isinstance(path, str) else path, "last_reference_value"), "last_reference_value")
    return lambda state: first(compiled, state)


def index() -> Reference:
    """A function of state giving the position of the item ``each`` is on.

    Example:
        operations = [each("$.data.patients[*]", post("/patients", body={"row": index(), "name": data_value("name")}))]
    """
    return lambda state: state.get("index")


def merge(data_source: str, fields: Any) -> Reference:
    """A function of state giving each item at the JSONPath ``data_source`` with ``fields`` merged in.

    ``fields`` is a dict (or a function of state giving one); functions of state inside it are resolved.

    Example:
        operations = [post("/visits/bulk", body=merge("$.data.form.visits[*]", {"clinic": source_value("$.data.clinic")}))]
    """
    compiled = compile_path(data_source, "merge", "data_source")
    if not isinstance(fields, dict) and not is_function(fields):
        raise OperationArgumentError(f"merge() needs a dict of fields for `fields`, got {describe(fields)}.", fix="Pass a dict such as fields(field('clinic', 'Kisumu')).")

    def merged(state: dict) -> list[dict]:
        extra = resolve(state, fields) or {}
        return [{**item, **extra} for item in find(compiled, state)]

    return merged


def join(target_path: str, source_path: str, target_key: str) -> Reference:
    """A function of state giving each item at ``target_path`` with ``target_key`` set from ``source_path``.

    The item's own value wins when it already has ``target_key``.

    Example:
        operations = [post("/visits/bulk", body=join("$.data.visits[*]", "$.data.patient_id", "patient_id"))]
    """
    targets = compile_path(target_path, "join", "target_path")
    value = compile_path(source_path, "join", "source_path")
    if not isinstance(target_key, str):
        raise OperationArgumentError(f"join() needs a string for `target_key`, got {describe(target_key)}.", fix="Name the key to add to each item.")
    return lambda state: [{target_key: first(value, state), **item} for item in find(targets, state)]
