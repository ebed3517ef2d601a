"""The token a run reaches its project's collections with, as Lightning's worker hands its runs one.

``ofr1.<claims>.<signature>``: the claims (project, DAG id, run id, expiry) as base64url JSON, signed with
HMAC-SHA256 under the deployment's collections secret. The task that runs a step signs one; the
api-server checks the signature and the expiry, then that the DAG run is still queued or running, so a
token is good for its project only, and only while its run lasts. Neither side is imported here: the
secret is passed in (see runtime/collections_access.py and inbox/store/run_secret.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

PREFIX = "ofr1"
SECRET_VARIABLE = "openfn_collections_secret"


@dataclass(frozen=True)
class RunClaims:
    project: str
    dag_id: str
    run_id: str
    expires: float  # Unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode("utf-8"), f"{PREFIX}.{payload}".encode("ascii"), hashlib.sha256).digest())


def sign(secret: str, claims: RunClaims) -> str:
    body = {"p": claims.project, "d": claims.dag_id, "r": claims.run_id, "e": int(claims.expires)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{PREFIX}.{payload}.{_signature(secret, payload)}"


def verify(secret: str, token: str, now: float | None = None) -> RunClaims | None:
    """The token's claims when it is well-formed, signed with ``secret`` and not expired; else None."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    _, payload, signature = parts
    try:
        if not hmac.compare_digest(_signature(secret, payload), signature):
            return None
        body = json.loads(_unb64(payload))
        claims = RunClaims(str(body["p"]), str(body["d"]), str(body["r"]), float(body["e"]))
    except (ValueError, KeyError, TypeError, UnicodeError):
        return None
    return claims if claims.expires > (time.time() if now is None else now) else None
