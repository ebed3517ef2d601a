"""Who a collections request comes from: a run's token (openfn/run_tokens.py) as ``Authorization: Bearer``.

A token is good for its own project's collections, and only while its DAG run is queued or running.
Checking that costs a query, so an answer is kept for a few seconds; the secret is read once and read
again (at most every few seconds) when a token fails, so a rotated secret takes effect at once.
"""

from __future__ import annotations

import threading
import time

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from openfn.errors import CollectionRequestError
from openfn.inbox.store import collections as store
from openfn.inbox.store.run_secret import ensure_secret
from openfn.run_tokens import RunClaims, verify

RUN_STATE_SECONDS = 5.0
SECRET_RETRY_SECONDS = 5.0


def _unauthorized(message: str) -> CollectionRequestError:
    return CollectionRequestError(
        401, "unauthorized", message,
        fix="Collections are reached from a run of the project, which gets its URL and token in "
        "state.configuration (collections_endpoint, collections_token)",
    )  # fmt: skip


class RunTokens:
    def __init__(self, database_of, *, clock=time.monotonic) -> None:
        self._database_of = database_of
        self._clock = clock
        self._secret: str | None = None
        self._secret_read = 0.0
        self._runs: dict[tuple[str, str], tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def _claims(self, token: str) -> RunClaims | None:
        if self._secret is None:
            self._secret, self._secret_read = ensure_secret(), self._clock()
        claims = verify(self._secret, token)
        if claims is None and self._clock() - self._secret_read > SECRET_RETRY_SECONDS:
            self._secret, self._secret_read = ensure_secret(), self._clock()
            claims = verify(self._secret, token)
        return claims

    def _active(self, claims: RunClaims) -> bool:
        key = (claims.dag_id, claims.run_id)
        now = self._clock()
        with self._lock:
            known = self._runs.get(key)
        if known is not None and known[1] > now:
            return known[0]
        active = store.run_is_active(self._database_of(), claims.dag_id, claims.run_id)
        with self._lock:
            if len(self._runs) > 10_000:
                self._runs.clear()
            self._runs[key] = (active, now + RUN_STATE_SECONDS)
        return active

    def check_known(self, authorization: str | None) -> RunClaims | None:
        """``check`` without reading the database, or None where it would have to (the secret not read yet,
        a token it does not verify, a run whose state is not known or has gone stale): the common case of a
        run calling again and again answers on the event loop, without a thread pool round trip."""
        if self._secret is None:
            return None
        token = _bearer(authorization)
        claims = verify(self._secret, token)
        if claims is None:
            return None
        with self._lock:
            known = self._runs.get((claims.dag_id, claims.run_id))
        if known is None or known[1] <= self._clock():
            return None
        if not known[0]:
            raise _ended(claims)
        return claims

    def check(self, authorization: str | None) -> RunClaims:
        token = _bearer(authorization)
        claims = self._claims(token)
        if claims is None:
            raise _unauthorized("The token is not valid here, or has expired")
        if not self._active(claims):
            raise _ended(claims)
        return claims


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("The request has no Authorization: Bearer token")
    return token.strip()


def _ended(claims: RunClaims) -> CollectionRequestError:
    return _unauthorized(f"The token's run {claims.run_id} of {claims.dag_id} has ended")


async def run_claims(request: Request) -> RunClaims:
    """The dependency of every collections route: the claims of the request's run token."""
    tokens: RunTokens = request.app.state.openfn_run_tokens
    authorization = request.headers.get("authorization")
    return tokens.check_known(authorization) or await run_in_threadpool(tokens.check, authorization)
