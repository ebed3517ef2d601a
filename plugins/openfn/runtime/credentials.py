"""A job's credential: the Airflow Connection becomes ``state["configuration"]``, its secrets masked."""

from __future__ import annotations

from typing import Any

SECRET_FIELDS = ("password", "apiKey", "api_key", "token", "pat", "access_token", "secret", "client_secret")


def configuration(conn_id: str) -> dict[str, Any]:
    """host, login, password, schema, port of the Connection, with its ``extra`` merged on top.

    Every secret-looking value is registered with Airflow's secrets masker, so it never shows in task logs.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.log import mask_secret

    conn = BaseHook.get_connection(conn_id)
    config: dict[str, Any] = {
        "host": conn.host,
        "login": conn.login,
        "username": conn.login,
        "password": conn.password,
        "schema": conn.schema,
        "port": conn.port,
    }
    config = {key: value for key, value in config.items() if value not in (None, "")}
    config.update(conn.extra_dejson or {})
    for key, value in config.items():
        if isinstance(value, str) and value and (key in SECRET_FIELDS or "secret" in key.lower() or "password" in key.lower()):
            mask_secret(value, key)
    return config
