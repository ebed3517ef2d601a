"""The ``credentials:`` section: each key names an Airflow Connection, which holds the secrets.

An OpenFn export may carry a credential's values in the file. They are never used nor shown: the project
still loads, says which fields hold values, and its jobs do not run until ``make credentials`` has moved
the values into the Connection (openfn.tools.credentials). Descriptive fields (``name``, ``owner``, ...)
are not values. A key that Airflow does not accept as a connection id (Lightning's ``owner@example.org-My
API``) gets a derived one: every run of other characters becomes ``_``; ``conn_id:`` overrides it.
"""

from __future__ import annotations

import re
from typing import Any

from openfn.errors import ProjectError
from openfn.readers._reader import Reader
from openfn.model.project import Credential

MASK = re.compile(r"\*+")
DESCRIPTIVE = frozenset({"name", "owner", "schema", "type", "description", "production", "project_credential_id"})
AIRFLOW_CONN_ID = re.compile(r"[\w#!()\-.:/\\]{1,250}")  # what airflow.models.connection accepts
OTHER_CHARACTERS = re.compile(r"[^A-Za-z0-9_.-]+")
MOVE_COMMAND = "make credentials PROJECT={folder}"
FILE_PREFIX = "file://"


def conn_id_for(key: str) -> str:
    """The Connection id of credential ``key``: the key itself when Airflow accepts it, else derived."""
    if AIRFLOW_CONN_ID.fullmatch(key):
        return key
    return OTHER_CHARACTERS.sub("_", key).strip("_")[:250]


def parse_credentials(reader: Reader, raw: Any) -> dict[str, Credential]:
    section = reader.mapping(raw, "credentials", fix="list credentials as `name: {}` entries.")
    credentials: dict[str, Credential] = {}
    for key, value in section.items():
        with reader.guard(f"credentials.{key}"):
            credentials[str(key)] = _credential(reader, str(key), value)
    with reader.guard():
        _check_unique(reader, section, credentials)
    return credentials


def _credential(reader: Reader, key: str, raw: Any) -> Credential:
    where = f"credentials.{key}"
    if isinstance(raw, str) and raw.strip().startswith(FILE_PREFIX):
        return Credential(key=key, conn_id=conn_id_for(key), values_file=raw.strip())
    if raw is not None and not isinstance(raw, dict):
        # Never echo the value: it may be a secret.
        raise reader.error(where, "must be a mapping", fix=f"write `{key}: {{}}` and keep the secrets in an Airflow Connection.")
    conn_id = None
    values = []
    for name, value in (raw or {}).items():
        if name == "conn_id":
            conn_id = reader.string(value, f"{where}.conn_id", fix="name an Airflow Connection id (letters, digits, '_', '-', '.').")
            if not AIRFLOW_CONN_ID.fullmatch(conn_id):
                raise reader.error(f"{where}.conn_id", "is not an id Airflow accepts for a Connection", value=conn_id, fix="use letters, digits, '_', '-' and '.'.")
        elif name in DESCRIPTIVE or value in (None, "") or (isinstance(value, str) and MASK.fullmatch(value)):
            continue
        else:
            values.append(str(name))
    conn_id = conn_id or conn_id_for(key)
    if not conn_id:
        raise reader.error(where, "has no characters Airflow accepts in a connection id", fix="add `conn_id: <id>` to it.")
    described = {field: str(raw[field]) for field in ("name", "owner") if isinstance(raw, dict) and raw.get(field) not in (None, "")}
    return Credential(key=key, conn_id=conn_id, values=tuple(values), **described)


def parse_credential_list(reader: Reader, raw: Any) -> dict[str, Credential]:
    """The CLI's project files list credentials as `{name, owner}`; steps name them `owner|name`."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, list):
        return parse_credentials(reader, raw)
    credentials = {}
    for index, entry in enumerate(raw):
        where = f"credentials[{index}]"
        if not isinstance(entry, dict) or not entry.get("name"):
            with reader.guard():
                raise reader.error(where, "must be a mapping with a `name` (and `owner`)", fix="write `- {name: My credential, owner: me@example.org}`.")
            continue
        key = f"{entry.get('owner') or ''}|{entry['name']}" if entry.get("owner") else str(entry["name"])
        credentials[key] = Credential(key=key, conn_id=conn_id_for(key), name=str(entry["name"]), owner=entry.get("owner"))
    return credentials


def with_aliases(credentials: dict[str, Credential]) -> dict[str, Credential]:
    """Lightning names a credential by its key (`owner-Name`) or as `owner|name`: both find it."""
    found = dict(credentials)
    for credential in credentials.values():
        if credential.name and credential.owner:
            found.setdefault(f"{credential.owner}|{credential.name}", credential)
    return found


def _check_unique(reader: Reader, section: dict, credentials: dict[str, Credential]) -> None:
    """Two keys whose derived ids collide would silently share one Connection."""
    owners: dict[str, str] = {}
    for key, credential in credentials.items():
        explicit = isinstance(section.get(key), dict) and "conn_id" in section[key]
        other = owners.get(credential.conn_id)
        if other is not None and not explicit:
            raise reader.error(f"credentials.{key}", f"maps to the Airflow Connection '{credential.conn_id}', like credentials.{other}",
                               fix=f"give one of them its own `conn_id:`.")  # fmt: skip
        owners.setdefault(credential.conn_id, key)


def value_problems(reader: Reader, credentials: dict[str, Credential]) -> list[ProjectError]:
    """One problem per credential whose values are still in the file, or in a file it points at (the
    project loads; its jobs wait)."""
    command = MOVE_COMMAND.format(folder=reader.file.parent)
    problems = []
    for key, credential in credentials.items():
        if credential.values:
            where = f"holds values in project.yaml ({', '.join(credential.values)})"
            replaced = "replaces them with '******' in the file"
        elif credential.values_file:
            where = f"points at its values in {credential.values_file}"
            replaced = "replaces the reference with {} (then delete that file)"
        else:
            continue
        problems.append(reader.error(
            f"credentials.{key}",
            f"{where}; they are never used, and the project's jobs do not run until they are moved",
            fix=f"run `{command}`: it stores them in the Airflow Connection '{credential.conn_id}' and {replaced}.",
        ))  # fmt: skip
    return problems


def project_credentials(reader: Reader, raw: Any, credentials: dict[str, Credential]) -> dict[str, Credential]:
    """Lightning's project state lists ``project_credentials: [{id, name, owner}]`` and its jobs name one by
    ``project_credential_id``: id -> the credential, keyed as Lightning's export keys it (``owner-name``).
    Only names travel there, never values."""
    if raw in (None, ""):
        return {}
    found: dict[str, Credential] = {}
    entries = raw if isinstance(raw, list) else []
    if not isinstance(raw, list):
        with reader.guard():
            raise reader.error("project_credentials", "must be a list of {id, name, owner}", fix="write it as Lightning's project state does.")
    for index, entry in enumerate(entries):
        with reader.guard():
            if not isinstance(entry, dict) or entry.get("id") in (None, "") or entry.get("name") in (None, ""):
                raise reader.error(f"project_credentials[{index}]", "must be a mapping with an `id` and a `name`", fix="write `- {id: ..., name: My credential, owner: me@example.org}`.")
            owner = entry.get("owner") or entry.get("owner_email")
            key = "-".join((f"{owner}-{entry['name']}" if owner else str(entry["name"])).split(" "))  # as the export keys it
            found[str(entry["id"])] = credentials.get(key) or Credential(key=key, conn_id=conn_id_for(key), name=str(entry["name"]), owner=owner)
    return found
