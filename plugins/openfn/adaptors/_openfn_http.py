"""The request path shared by the system adaptors (dhis2, commcare, openmrs, fhir): resolve the URL
against the credential's base URL setting, add the adaptor's auth, send, and compose the next state."""

from __future__ import annotations

from typing import Any

from openfn.adaptors._http_args import encode_body, header_values, join_url
from openfn.adaptors._http_client import Reply, credential_secrets, send
from openfn.errors import OpenFnError


class CredentialError(OpenFnError):
    """The credential lacks what the adaptor needs (a base URL, a login...); names the Connection fields."""


def require(configuration: dict, setting: str, adaptor: str, where: str) -> Any:
    value = configuration.get(setting)
    if value in (None, ""):
        raise CredentialError(
            f"The {adaptor} credential has no `{setting}`",
            fix=f"Set {where} in the job's Airflow Connection (see docs/adaptors.md, '{adaptor}').",
        )
    return value


def call(
    state: dict,
    method: str,
    path: str,
    *,
    base_url: str,
    setting: str,
    auth: dict[str, str],
    body: Any = None,
    content_type: str = "json",
    headers: dict | None = None,
    query: dict | None = None,
    parse_as: str = "auto",
    errors: Any = None,
    timeout: float | None = None,
) -> Reply:
    """Send ``method path`` (relative to ``base_url``) with ``auth`` headers unless the job set its own."""
    sent = header_values(headers)
    encoded = encode_body(body, content_type, sent)
    if not any(key.lower() == "authorization" for key in sent):
        sent.update(auth)
    url = join_url(base_url, path, setting=setting)
    return send(
        method, url, headers=sent, query=query, parse_as=parse_as, errors=errors, timeout=timeout,
        secrets=credential_secrets(state, sent), **encoded,
    )  # fmt: skip
