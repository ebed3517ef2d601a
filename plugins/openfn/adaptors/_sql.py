"""SQL text for the postgresql adaptor: identifiers quoted, values always sent as parameters.

Table, column and constraint names come from the job (or from the keys of its records), so they are
quoted as PostgreSQL identifiers ('"clinic visits"'); values never enter the SQL text: each is a ``%s``
placeholder filled by the database driver.
"""

from __future__ import annotations

import json
import re
from typing import Any

from openfn.errors import OperationArgumentError

CONSTRAINT = re.compile(r"^\s*on\s+constraint\s+(.+?)\s*$", re.IGNORECASE)


def identifier(name: str) -> str:
    """One name, quoted: 'users' -> '"users"', 'my"x' -> '"my""x"'."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise OperationArgumentError(f"{name!r} is not a table or column name.", fix="Use the name as it is in the database, such as 'users'.")
    return '"' + name.replace('"', '""') + '"'


def table_name(name: str) -> str:
    """'public.users' -> '"public"."users"' (a dot separates schema and table)."""
    return ".".join(identifier(part) for part in str(name).split("."))


def conflict_target(uuid: str) -> str:
    """OpenFn's ``uuid`` argument: a column, several ('id, site'), or 'ON CONSTRAINT users_pkey'."""
    found = CONSTRAINT.match(uuid)
    if found:
        return f"ON CONSTRAINT {identifier(found.group(1))}"
    return "(" + ", ".join(identifier(column.strip()) for column in uuid.split(",")) + ")"


def parameter(value: Any) -> Any:
    """Dicts (and lists of dicts) go as JSON text, which PostgreSQL casts to a json/jsonb column."""
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(item, dict) for item in value)):
        return json.dumps(value)
    return value


def insert(table: str, columns: list[str], rows: int, conflict: str | None = None) -> str:
    """INSERT of ``rows`` rows of ``columns``, RETURNING the rows; with ``conflict``, an upsert."""
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    text = f"INSERT INTO {table_name(table)} ({', '.join(identifier(c) for c in columns)}) VALUES " + ", ".join([placeholders] * rows)
    if conflict is not None:
        updates = ", ".join(f"{identifier(c)} = EXCLUDED.{identifier(c)}" for c in columns)
        text += f" ON CONFLICT {conflict_target(conflict)} DO UPDATE SET {updates}"
    return text + " RETURNING *"


def null_values(options: dict) -> list:
    """OpenFn's ``setNull``: values to store as NULL (given as SQL literals, "''" or "'undefined'")."""
    wanted = options.get("set_null", options.get("setNull"))
    if wanted is None or wanted is False:
        return []
    items = wanted if isinstance(wanted, list) else [wanted]
    return [item[1:-1] if isinstance(item, str) and len(item) >= 2 and item[0] == item[-1] == "'" else item for item in items]
