"""Airflow ids for the names of Lightning projects (workflows and steps), by one documented rule.

A key made only of ASCII letters, digits, ``_`` and ``-`` (at most 200 characters) is kept as it is, so
``my-workflow`` stays ``my-workflow`` and ``Sync_Cases`` stays ``Sync_Cases``. Any other key: accents are
dropped (``Données`` -> ``Donnees``), every run of other characters becomes one ``-``, and ``-`` at either
end is removed (``CommCare → DHIS2 (v2)`` -> ``CommCare-DHIS2-v2``). A key with nothing left (``患者確認``)
becomes ``<kind>-`` and the first 8 hex digits of its SHA-1 (``step-1b2c3d4e``). Two keys of one workflow
or project that map to the same id are an error asking for a rename.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

VALID = re.compile(r"[A-Za-z0-9_-]{1,200}")
OTHER = re.compile(r"[^A-Za-z0-9_-]+")


def airflow_id(key: str, kind: str = "step") -> str:
    """The Airflow id of ``key`` (``kind`` prefixes the id of a key with nothing ASCII in it)."""
    if VALID.fullmatch(key):
        return key
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", key) if not unicodedata.combining(ch))
    mapped = OTHER.sub("-", plain).strip("-")[:200].rstrip("-")
    return mapped or f"{kind}-{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
