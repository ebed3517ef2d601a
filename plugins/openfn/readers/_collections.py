"""``collections:``: the collections a project declares (Lightning's key-value stores). The api-server
creates each one that does not exist yet; items are never touched by a change of the file.

Lightning's export keys each collection by its name (``patients: {name: patients}``); a list of names
(``collections: [patients, mappings]``) or of ``{name: ...}`` mappings is read too, in either format.
"""

from __future__ import annotations

import re
from typing import Any

from openfn.readers._reader import Reader

COLLECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,249}$")
FIX = "name collections with lower-case letters, digits, '-', '_' and '.' (as Lightning does)."


def parse_collections(reader: Reader, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        entries = [(f"collections.{key}", (item or {}).get("name", key) if isinstance(item, dict) or item is None else item)
                   for key, item in value.items()]  # fmt: skip
    elif isinstance(value, list):
        entries = [(f"collections[{index}]", item.get("name") if isinstance(item, dict) else item) for index, item in enumerate(value)]
    else:
        raise reader.error("collections", "must be a mapping of collections by name, or a list of names", value=value, fix=FIX)
    names: list[str] = []
    for where, name in entries:
        names.append(reader.string(name, where, fix=FIX, pattern=COLLECTION_NAME))
    return tuple(dict.fromkeys(names))
