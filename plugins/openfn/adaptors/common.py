"""OpenFn's language-common adaptor in Python: the operations every job can use.

Every operation is a factory: called in the job file, it checks its arguments at once (a bad path
or a missing function fails the job before anything runs) and returns ``state -> state``.
Arguments may be functions of state (``data_value("name")``, ``lambda state: ...``); they are
resolved with the state of the moment when the operation runs. Paths are JSONPath
(jsonpath-ng's extended syntax: ``$.data.name``, ``$.data.items[*].id``, ``$..case_id``,
``$.data.items[?(@.age > 18)]``).

Example:
    from openfn.adaptors.common import each, fn, data_value, log

    operations = [
        each("$.data.form.patients[*]", fn(lambda state: {**state, "seen": state["index"] + 1})),
        log("Patients seen:", lambda state: state["seen"]),
    ]

The modules behind this one: _flow (operations running operations), _sources (functions of state
reading paths), _state, _cursor, _csv, _values (plain helpers), _paths and _references.
"""

from __future__ import annotations

from openfn.adaptors import beta, date_fns, util
from openfn.adaptors._csv import parse_csv
from openfn.adaptors._cursor import cursor
from openfn.adaptors._flow import alter_state, as_, combine, each, fn, fn_if, group, map_
from openfn.adaptors._paths import data_path, json_value, reference_path
from openfn.adaptors._references import as_data, expand_references, resolve
from openfn.adaptors._sources import data_value, index, join, last_reference_value, merge, source, source_value
from openfn.adaptors._state import assert_, compose_next_state, debug, log
from openfn.adaptors._values import array_to_string, chunk, field, fields, human_proper, js_truthy, scrub_emojis, split_keys, to_array

map = map_  # noqa: A001 - the OpenFn name; the module itself never needs the builtin

__all__ = [
    # operations: factories returning state -> state
    "alter_state",
    "as_",
    "assert_",
    "beta",
    "combine",
    "cursor",
    "debug",
    "each",
    "fn",
    "fn_if",
    "group",
    "log",
    "map",
    "map_",
    "parse_csv",
    # functions of state, for operation arguments
    "data_value",
    "index",
    "join",
    "last_reference_value",
    "merge",
    "source",
    "source_value",
    # helpers on plain values
    "array_to_string",
    "as_data",
    "chunk",
    "compose_next_state",
    "data_path",
    "date_fns",
    "expand_references",
    "field",
    "fields",
    "human_proper",
    "json_value",
    "reference_path",
    "resolve",
    "scrub_emojis",
    "split_keys",
    "to_array",
    "js_truthy",
    # namespaces: beta (each), util (encode, decode, uuid, parse_date, parse_url), date_fns (format, parse)
    "util",
]
