"""Inbox tokens: the secret part of each project's inbox URL (SPEC §6).

The token lives in the Airflow Variable ``openfn_inbox_token_<project>`` (``-`` becomes ``_``, so the
environment variable ``AIRFLOW_VAR_OPENFN_INBOX_TOKEN_<PROJECT>`` works too). When it is unset, a random
192-bit token is generated and stored once: concurrent api-servers insert-if-absent, then all read back the
one that won. Requests are matched against every project's token with ``hmac.compare_digest``, without
stopping at the first hit, so response timing says nothing about how much of a token was right.

A token an operator sets by hand may be guessable: ``weakness`` says why (too short, too few different
characters) and the api-server logs a warning for it once, and the projects page shows it to the users
who may see the token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections.abc import Iterable

log = logging.getLogger("openfn.inbox")

TOKEN_BYTES = 24  # 192 bits
STALE = object()
MIN_TOKEN_BITS = 128  # what a guess must beat: 22 random URL-safe characters
_CLASSES = ((str.isdigit, 10), (str.islower, 26), (str.isupper, 26))


def weakness(token: str) -> str | None:
    """Why ``token`` is easy to guess, or None. Counts the bits a random token of that length drawn from
    the character classes it uses would have (an upper bound for a chosen one)."""
    alphabet = sum(size for test, size in _CLASSES if any(test(ch) for ch in token))
    alphabet += 32 if any(not (ch.isdigit() or ch.islower() or ch.isupper()) for ch in token) else 0
    bits = len(token) * math.log2(alphabet) if alphabet > 1 else 0.0
    if bits < MIN_TOKEN_BITS:
        return f"it has {len(token)} characters, at most {bits:.0f} bits where {MIN_TOKEN_BITS} are needed"
    if len(set(token)) < 8:
        return f"it uses only {len(set(token))} different characters"
    return None


def token_variable(inbox: str) -> str:
    """The Variable of an inbox: ``openfn_inbox_token_<project>`` for a project's inbox, and
    ``openfn_inbox_token_<project>__<workflow>__<trigger>`` for a workflow's webhook (inbox name
    ``<project>/<workflow>/<trigger>``); ``-`` becomes ``_``."""
    return "openfn_inbox_token_" + "__".join(part.replace("-", "_") for part in inbox.split("/"))


def _read(key: str) -> str | None:
    from airflow.models.variable import Variable

    value = Variable.get(key, default_var=None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _insert_if_absent(key: str, value: str, project: str | None, description: str | None = None) -> None:
    from airflow.models.variable import Variable
    from sqlalchemy.dialects import postgresql, sqlite

    from openfn.inbox.store.database import get_database

    database = get_database()
    variable = Variable(key=key, val=value)  # encrypts with the Fernet key when one is configured
    dialect_insert = postgresql.insert if database.dialect == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(Variable.__table__)
        .values(
            key=key,
            val=variable._val,
            is_encrypted=variable.is_encrypted,
            description=description or f"Inbox token of OpenFn project {project!r}: the secret part of its inbox URL. "
            "Change it to rotate the URL.",
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    with database.write() as connection:
        connection.execute(statement)
    try:
        from airflow.sdk import SecretCache

        SecretCache.invalidate_variable(key)
    except Exception:  # the cache is optional; reading back below is what matters
        log.debug("could not invalidate the secret cache for %s", key, exc_info=True)


def ensure_token(project: str) -> str:
    """The inbox's token (a project, or ``<project>/<workflow>/<trigger>``), generated and kept on first use."""
    key = token_variable(project)
    token = _read(key)
    if token is None:
        _insert_if_absent(key, secrets.token_urlsafe(TOKEN_BYTES), project)
        token = _read(key)
        if token is None:
            raise RuntimeError(f"the Airflow Variable {key} could not be stored or read back")
        log.info("Generated the inbox token of project %s (Airflow Variable %s)", project, key)
    return token


WATCH_TOKEN_VARIABLE = "openfn_watch_token"


def ensure_watch_token() -> str:
    """The token inbox sensors and inbox assets present to the watch API (generated and kept on first use).

    It lets its holder read the messages of every project's inbox: it lives in an Airflow Variable (whose
    name marks it sensitive, so the UI masks it) that triggers and tasks read through Airflow's own API.
    """
    token = _read(WATCH_TOKEN_VARIABLE)
    if token is None:
        _insert_if_absent(WATCH_TOKEN_VARIABLE, secrets.token_urlsafe(TOKEN_BYTES), None,
                          "Token of the OpenFn inbox sensors and inbox assets: it reads every project's inbox messages. "
                          "Change it to revoke it; sensors read the new value at once.")  # fmt: skip
        token = _read(WATCH_TOKEN_VARIABLE)
        if token is None:
            raise RuntimeError(f"the Airflow Variable {WATCH_TOKEN_VARIABLE} could not be stored or read back")
        log.info("Generated the token of the inbox watch API (Airflow Variable %s)", WATCH_TOKEN_VARIABLE)
    return token


class TokenTable:
    """project -> token for the current projects, refreshed every ``ttl`` seconds (and, at most once a
    second, when a request brings a token nobody has: a rotated token works within a second)."""

    def __init__(self, *, ttl: float = 10.0, miss_interval: float = 1.0) -> None:
        self.ttl = ttl
        self.miss_interval = miss_interval
        self._tokens: dict[str, str] = {}
        self._loaded = 0.0
        self._projects: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self._warned: set[bytes] = set()

    def _refresh(self, projects: frozenset[str]) -> None:
        tokens = {}
        for project in sorted(projects):
            try:
                tokens[project] = ensure_token(project)
            except Exception:
                log.exception("Cannot read or create the inbox token of project %s", project)
                continue
            self._warn_if_weak(project, tokens[project])
        self._tokens = tokens
        self._projects = projects
        self._loaded = time.monotonic()

    def _warn_if_weak(self, project: str, token: str) -> None:
        why = weakness(token)
        seen = hashlib.sha256(f"{project}\0{token}".encode("utf-8", "surrogateescape")).digest()
        if why is None or seen in self._warned:
            return
        self._warned.add(seen)
        log.warning(
            "The inbox token of project %s (Airflow Variable %s) is easy to guess: %s. Anyone who guesses it can post "
            "messages. Set it to at least 22 random URL-safe characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))'), or delete the Variable to have one generated.",
            project, token_variable(project), why,
        )

    def tokens(self, projects: Iterable[str]) -> dict[str, str]:
        wanted = frozenset(projects)
        if wanted != self._projects or time.monotonic() - self._loaded > self.ttl:
            with self._lock:
                if wanted != self._projects or time.monotonic() - self._loaded > self.ttl:
                    self._refresh(wanted)
        return self._tokens

    def cached(self, token: str, projects: Iterable[str]) -> str | None | object:
        """Like ``find`` but from memory only: ``STALE`` when answering needs the database."""
        projects = frozenset(projects)
        if projects != self._projects or time.monotonic() - self._loaded > self.ttl:
            return STALE
        found = _compare_all(token, self._tokens)
        if found is None and time.monotonic() - self._loaded > self.miss_interval:
            return STALE
        return found

    def find(self, token: str, projects: Iterable[str]) -> str | None:
        """The project whose token equals ``token``, or None."""
        projects = frozenset(projects)
        found = _compare_all(token, self.tokens(projects))
        if found is None and time.monotonic() - self._loaded > self.miss_interval:
            with self._lock:
                if time.monotonic() - self._loaded > self.miss_interval:
                    self._refresh(projects)
            found = _compare_all(token, self._tokens)
        return found


def _compare_all(token: str, tokens: dict[str, str]) -> str | None:
    given = token.encode("utf-8", "surrogateescape")
    found = None
    for project, expected in tokens.items():
        if hmac.compare_digest(given, expected.encode("utf-8")):
            found = project
    return found
