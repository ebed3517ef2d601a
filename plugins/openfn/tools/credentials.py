"""``openfn-airflow credentials <folder>`` (``make credentials PROJECT=<folder>``): moves the credential values an OpenFn export carries in its
project.yaml into Airflow Connections, and replaces them in the file with '******'.

Nothing is printed but credential keys, field names and Connection ids: never a value. The Connections
are written first (one transaction), the file second (atomically, after checking that only those values
changed), so an interrupted run is finished by running the command again. A Connection that already
exists with other values is left alone unless ``--replace`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from openfn.readers._credentials import DESCRIPTIVE, FILE_PREFIX, MASK, conn_id_for

PLACEHOLDER = "'******'"
HOST_FIELDS = ("hostUrl", "baseUrl", "instanceUrl", "url", "host", "server")
LOGIN_FIELDS = ("username", "user", "login")


@dataclass
class Held:
    """One credential whose values are in the file: the YAML nodes to blank and the values to store
    (``reference``: the node of a ``file://`` credential, replaced by ``{}``, and that file)."""

    key: str
    conn_id: str
    nodes: dict[str, yaml.Node]
    values: dict[str, object]
    reference: yaml.Node | None = None
    values_file: Path | None = None


class MoveError(Exception):
    pass


def _values_file(folder: Path, key: str, uri: str) -> tuple[Path, dict]:
    """The file a ``file://`` credential points at (inside the project folder) and its JSON/YAML mapping."""
    name = uri.strip()[len(FILE_PREFIX):]
    path = Path(os.path.realpath(folder / name))
    if os.path.commonpath([path, os.path.realpath(folder)]) != os.path.realpath(folder):
        raise MoveError(f"credentials.{key} points outside the project folder ({uri}); copy the file into the folder")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML
    except (OSError, yaml.YAMLError) as error:
        raise MoveError(f"credentials.{key}: {uri} cannot be read as JSON ({type(error).__name__})") from None
    if not isinstance(values, dict) or not values:
        raise MoveError(f"credentials.{key}: {uri} does not hold a JSON object of credential fields")
    return path, {str(k): v for k, v in values.items() if k not in DESCRIPTIVE}


def held_credentials(text: str, folder: Path | None = None) -> list[Held]:
    """The credentials of ``text`` that hold values, with the nodes that hold them."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text) or {}
    if not isinstance(root, yaml.MappingNode):
        return []
    section = next((value for key, value in root.value if key.value == "credentials"), None)
    if not isinstance(section, yaml.MappingNode):
        return []
    found = []
    for key_node, body in section.value:
        key = str(key_node.value)
        if isinstance(body, yaml.ScalarNode) and str(body.value).strip().startswith(FILE_PREFIX) and folder is not None:
            path, values = _values_file(folder, key, str(body.value))
            found.append(Held(key=key, conn_id=conn_id_for(key), nodes={}, values=values, reference=body, values_file=path))
            continue
        if not isinstance(body, yaml.MappingNode):
            continue
        fields = (data.get("credentials") or {}).get(key) or {}
        nodes = {}
        for field_node, value_node in body.value:
            name = str(field_node.value)
            value = fields.get(name)
            if name == "conn_id" or name in DESCRIPTIVE or value in (None, "") or (isinstance(value, str) and MASK.fullmatch(value)):
                continue
            nodes[name] = value_node
        if nodes:
            conn_id = str(fields.get("conn_id") or conn_id_for(key))
            found.append(Held(key=key, conn_id=conn_id, nodes=nodes, values={name: fields[name] for name in nodes}))
    return found


def connection_fields(values: dict[str, object]) -> dict[str, object]:
    """The Airflow Connection for OpenFn's credential fields: host, login and password where they have an
    obvious place, and every field but the password in ``extra`` under its OpenFn name (what jobs read)."""
    host = next((str(values[f]) for f in HOST_FIELDS if isinstance(values.get(f), str)), None)
    login = next((str(values[f]) for f in LOGIN_FIELDS if isinstance(values.get(f), str)), None)
    password = values.get("password")
    port = values.get("port") if isinstance(values.get("port"), int) else None
    extra = {name: value for name, value in values.items() if name != "password"}
    conn_type = "http" if host and host.startswith(("http://", "https://")) else "generic"
    return {"conn_type": conn_type, "host": host, "login": login, "password": None if password is None else str(password),
            "port": port, "extra": json.dumps(extra) if extra else None}  # fmt: skip


def blank_values(text: str, held: list[Held]) -> str:
    """``text`` with every held value replaced by '******' (the rest of the file byte for byte)."""
    spans = []
    for credential in held:
        if credential.reference is not None:
            spans.append((credential.reference.start_mark.index, credential.reference.end_mark.index, "{}"))
        for node in credential.nodes.values():
            start, end = node.start_mark.index, node.end_mark.index
            tail = "\n" if text[start:end].endswith("\n") else ""  # block values end with their line break
            spans.append((start, end, PLACEHOLDER + tail))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _check_only_values_changed(before: str, after: str, held: list[Held]) -> None:
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    for credential in held:
        if credential.reference is not None:
            old["credentials"][credential.key] = {}
        for name in credential.nodes:
            old["credentials"][credential.key][name] = "******"
    if old != new:
        raise MoveError("rewriting the file would change more than the credential values (YAML anchors or aliases in a credential?); replace them by hand")


def _store(held: list[Held], *, replace: bool) -> list[str]:
    from airflow.models import Connection
    from airflow.utils.session import create_session

    lines = []
    with create_session() as session:
        for credential in held:
            wanted = connection_fields(credential.values)
            existing = session.query(Connection).filter(Connection.conn_id == credential.conn_id).one_or_none()
            if existing is not None:
                same = all(getattr(existing, field) == value for field, value in wanted.items() if field != "extra") and (
                    existing.extra_dejson == json.loads(wanted["extra"] or "{}")
                )
                if same:
                    lines.append(f"credentials.{credential.key}: Airflow Connection '{credential.conn_id}' already holds these values")
                    continue
                if not replace:
                    raise MoveError(f"the Airflow Connection '{credential.conn_id}' (credentials.{credential.key}) exists with other values; "
                                    "check it, then run again with --replace to overwrite it")  # fmt: skip
                session.delete(existing)
                session.flush()
            session.add(Connection(conn_id=credential.conn_id, **wanted))
            fields = ", ".join(credential.values)
            lines.append(f"credentials.{credential.key}: {fields} -> Airflow Connection '{credential.conn_id}'")
    return lines


def move(folder: Path, *, replace: bool = False, dry_run: bool = False) -> list[str]:
    """Move the values of ``folder``/project.yaml; returns what was done, one line per credential."""
    file = folder / "project.yaml"
    text = file.read_text(encoding="utf-8")
    held = held_credentials(text, folder)
    if not held:
        return [f"{file}: no credential holds values; nothing to do"]
    after = blank_values(text, held)
    _check_only_values_changed(text, after, held)
    if dry_run:
        return [f"would move credentials.{c.key}: {', '.join(c.values)} -> Airflow Connection '{c.conn_id}'" for c in held]
    lines = _store(held, replace=replace)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=".project.", suffix=".yaml", delete=False) as out:
        out.write(after)
    os.chmod(out.name, file.stat().st_mode & 0o7777)
    os.replace(out.name, file)
    done = [f"{file}: the values are replaced with '******'; commit the file"]
    done += [f"{credential.values_file}: delete it, it still holds the values" for credential in held if credential.values_file]
    return lines + done


def main(argv: list[str] | None = None, prog: str = "openfn-airflow credentials") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, help="the project folder, e.g. include/jobs/referrals")
    parser.add_argument("--replace", action="store_true", help="overwrite Connections that exist with other values")
    parser.add_argument("--dry-run", action="store_true", help="say what would be moved; change nothing")
    args = parser.parse_args(argv)
    if not (args.project / "project.yaml").is_file():
        print(f"{args.project}: no project.yaml there; pass the project folder, e.g. include/jobs/referrals", file=sys.stderr)
        return 2
    try:
        for line in move(args.project, replace=args.replace, dry_run=args.dry_run):
            print(line)
    except MoveError as error:
        print(f"Nothing was changed in the file: {error}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
