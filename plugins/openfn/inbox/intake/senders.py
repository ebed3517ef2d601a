"""Optional sender authentication per project (``inbox: {auth: [api_key, basic]}``).

Secrets never come from project.yaml: the API key is the Airflow Variable ``inbox.api_key_variable``
(default ``openfn_inbox_api_key_<project>``), the basic-auth login and password are those of the Airflow
Connection ``inbox.basic_conn_id`` (default ``openfn_inbox_<project>``). Any one configured method that
succeeds admits the sender. No credentials -> 401; wrong ones -> 404, exactly like an unknown token, so a
prober learns nothing.

Headers that carry credentials are never stored with the message (nor handed to its runs): the four
that always do, and every header whose name looks like a credential (``[openfn] drop_headers``, shell
patterns such as ``*token*``), except the names in ``[openfn] keep_headers``.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hmac
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping

from openfn.errors import MissingCredentials, UnknownInbox
from openfn.model import Project

log = logging.getLogger("openfn.inbox")

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})  # always dropped
DEFAULT_DROP = ("*token*", "*secret*", "*key*", "*auth*", "*signature*", "*password*", "*cookie*", "*session*")
DEFAULT_KEEP = frozenset({"idempotency-key"})


class HeaderPolicy:
    """Which request headers are stored: not the four credential headers, not those matching ``drop``
    unless named in ``keep``. Decisions are remembered per header name (senders repeat the same names)."""

    def __init__(self, drop: Iterable[str] = DEFAULT_DROP, keep: Iterable[str] = DEFAULT_KEEP) -> None:
        self.drop = tuple(pattern.lower() for pattern in drop)
        self.keep = frozenset(name.lower() for name in keep) - CREDENTIAL_HEADERS
        self._pattern = re.compile("|".join(fnmatch.translate(p) for p in self.drop)) if self.drop else None
        self._known: dict[str, bool] = {}

    def keeps(self, name: str) -> bool:
        """Whether a header of this lower-case name is stored."""
        known = self._known.get(name)
        if known is None:
            known = name not in CREDENTIAL_HEADERS and (
                name in self.keep or self._pattern is None or self._pattern.match(name) is None
            )
            if len(self._known) < 4096:  # a sender inventing names cannot grow this without bound
                self._known[name] = known
        return known

    def storable(self, headers: Mapping[str, str] | list[tuple[str, str]]) -> dict[str, str]:
        """The request headers as stored with the message and handed to runs: lower-case names, repeated
        headers joined with ", ", and every header that may carry credentials removed."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        stored: dict[str, str] = {}
        for name, value in items:
            name = name.lower()
            if not self.keeps(name):
                continue
            stored[name] = f"{stored[name]}, {value}" if name in stored else value
        return stored


class SecretCache:
    """Reads the project's secrets from Airflow, keeping them ``ttl`` seconds."""

    def __init__(self, *, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._values: dict[tuple[str, str], tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _cached(self, kind: str, name: str, read):
        now = time.monotonic()
        hit = self._values.get((kind, name))
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            value = read(name)
        except Exception:
            log.exception("Cannot read %s %s for inbox authentication", kind, name)
            value = None
        with self._lock:
            self._values[(kind, name)] = (now, value)
        return value

    def fresh(self, kind: str, name: str) -> bool:
        hit = self._values.get((kind, name))
        return hit is not None and time.monotonic() - hit[0] < self.ttl

    def ready_for(self, project: Project) -> bool:
        """Whether checking this project's senders needs no database read."""
        kinds = project.inbox.auth
        return ("api_key" not in kinds or self.fresh("Variable", project.inbox.api_key_variable)) and (
            "basic" not in kinds or self.fresh("Connection", project.inbox.basic_conn_id)
        )

    def api_key(self, variable: str) -> str | None:
        def read(name: str):
            from airflow.models.variable import Variable

            return Variable.get(name, default_var=None)

        return self._cached("Variable", variable, read)

    def login(self, conn_id: str) -> tuple[str, str] | None:
        def read(name: str):
            from airflow.exceptions import AirflowNotFoundException
            from airflow.models.connection import Connection

            try:
                connection = Connection.get_connection_from_secrets(name)
            except AirflowNotFoundException:
                return None
            return (connection.login or "", connection.password or "")

        return self._cached("Connection", conn_id, read)


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "\0invalid")  # presented, and wrong
    return (login, password) if sep else ("", "\0invalid")


def check_sender(project: Project, headers: Mapping[str, str], secrets: SecretCache) -> None:
    """Admit the request, or raise MissingCredentials (401) / UnknownInbox (404)."""
    kinds = project.inbox.auth
    if not kinds:
        return
    presented = False
    if "api_key" in kinds and headers.get("x-api-key") is not None:
        presented = True
        expected = secrets.api_key(project.inbox.api_key_variable)
        if expected is None:
            log.error("Project %s requires an API key but the Airflow Variable %s is not set", project.name, project.inbox.api_key_variable)
        elif _equal(headers["x-api-key"], expected):
            return
    if "basic" in kinds and headers.get("authorization"):
        given = _basic(headers["authorization"])
        if given is not None:
            presented = True
            expected_login = secrets.login(project.inbox.basic_conn_id)
            if expected_login is None:
                log.error("Project %s requires basic auth but the Airflow Connection %s does not exist", project.name, project.inbox.basic_conn_id)
            elif _equal(given[0], expected_login[0]) & _equal(given[1], expected_login[1]):
                return
    if presented:
        raise UnknownInbox()
    raise MissingCredentials(kinds)
