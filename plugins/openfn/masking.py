"""Which values of a credential are secrets, and how a value shown to people is masked.

Shared by the task side (a job's credential registers its secrets with Airflow's masker, adaptors scrub them
from error texts) and the inbox (the receipt shows a run's output with the same values masked), so both
agree on what a secret is. It imports neither side.
"""

from __future__ import annotations

from typing import Any

MASK = "***"  # what Airflow's secrets masker writes in task logs, so a masked value looks the same everywhere

SECRET_FIELDS = (
    "password", "apiKey", "api_key", "token", "pat", "access_token", "secret", "client_secret", "authorization",
)  # fmt: skip


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return key in SECRET_FIELDS or "secret" in lowered or "password" in lowered or "token" in lowered


def secret_values(configuration: dict | None) -> list[str]:
    """The configuration's secret values, longest first (so a secret that contains another is masked whole)."""
    values = {str(v) for k, v in (configuration or {}).items() if v not in (None, "") and is_secret(k)}
    tls = (configuration or {}).get("tls")
    if isinstance(tls, dict):  # language-http's TLS options: a client key and its passphrase
        values |= {v for k, v in tls.items() if k in ("key", "passphrase") and isinstance(v, str) and v}
    return sorted(values, key=lambda value: (-len(value), value))


def mask_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) >= 3:  # as Airflow's masker: shorter values would mask ordinary words
            text = text.replace(secret, MASK)
    return text


def mask(value: Any, secrets: list[str]) -> Any:
    """``value`` (JSON) with every value under a secret-looking key, and every secret in a string, masked."""
    if isinstance(value, dict):
        return {key: MASK if is_secret(str(key)) and value[key] not in (None, "") else mask(value[key], secrets) for key in value}
    if isinstance(value, list):
        return [mask(item, secrets) for item in value]
    if isinstance(value, str):
        return mask_text(value, secrets)
    return value
