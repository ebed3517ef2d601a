"""Airflow ids for the names of Lightning projects (workflows and steps), by one documented rule.

A key made only of ASCII letters, digits, ``_`` and ``-`` (at most 200 characters) is kept as it is, so
``my-workflow`` stays ``my-workflow`` and ``Sync_Cases`` stays ``Sync_Cases``. Any other key: accents are
dropped (``Données`` -> ``Donnees``), every run of other characters becomes one ``-``, and ``-`` at either
end is removed (``CommCare → DHIS2 (v2)`` -> ``CommCare-DHIS2-v2``). Two keys of one workflow or project
that map to the same id are an error asking for a rename.
"""

from __future__ import annotations

import re
import unicodedata

VALID = re.compile(r"[A-Za-z0-9_-]{1,200}")
OTHER = re.compile(r"[^A-Za-z0-9_-]+")


def airflow_id(key: str) -> str:
    """The Airflow id of ``key`` (may be '' when nothing of it can be kept)."""
    if VALID.fullmatch(key):
        return key
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", key) if not unicodedata.combining(ch))
    return OTHER.sub("-", plain).strip("-")[:200].rstrip("-")
