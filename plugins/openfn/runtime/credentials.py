"""A job's credential: the Airflow Connection becomes ``state["configuration"]``, its secrets masked.

Every adaptor gets the Connection's own fields (``host``, ``login``/``username``, ``password``, ``schema``,
``port``), then the names its OpenFn counterpart's ``configuration-schema.json`` uses, derived from those
fields (``ADAPTOR_FIELDS``), then every key of the Connection's ``extra`` JSON, which wins over anything
derived: a Connection made for OpenFn can carry ``{"hostUrl": ..., "apiVersion": "41", "pat": ...}`` in
``extra`` and nothing else. README.md (Adaptors and credentials) lists what each adaptor reads.
"""

from __future__ import annotations

from typing import Any

from openfn.masking import SECRET_FIELDS, is_secret, secret_values  # noqa: F401 (the task side's names for them)

# Which OpenFn configuration name each adaptor reads the Connection's base URL under.
URL_FIELDS = {"http": "baseUrl", "fhir": "baseUrl", "dhis2": "hostUrl", "commcare": "hostUrl", "openmrs": "instanceUrl"}


def configuration(conn_id: str, adaptor: str = "common") -> dict[str, Any]:
    """host, login, password, schema, port of the Connection, OpenFn's names for ``adaptor``, then ``extra``.

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
    config.update(adaptor_fields(adaptor, config))
    if adaptor == "postgresql":  # the adaptor connects through Airflow's PostgresHook of this Connection
        config["conn_id"] = conn_id
    config.update(conn.extra_dejson or {})
    for value in secret_values(config):
        mask_secret(value)  # no name: Airflow would skip names it does not know as secret, such as `pat`
    return config


def adaptor_fields(adaptor: str, fields: dict[str, Any]) -> dict[str, Any]:
    """OpenFn's configuration names for ``adaptor``, derived from the Connection's own fields."""
    derived: dict[str, Any] = {}
    if adaptor in URL_FIELDS and fields.get("host"):
        derived[URL_FIELDS[adaptor]] = base_url(fields["host"], fields.get("schema"), fields.get("port"))
    if adaptor == "postgresql":
        derived.update({"user": fields.get("login"), "database": fields.get("schema")})
    return {key: value for key, value in derived.items() if value not in (None, "")}


def base_url(host: str, schema: str | None, port: int | None) -> str:
    """The URL of an HTTP Connection, as Airflow's HttpHook builds it: a host with a scheme is kept as is;
    otherwise ``schema`` names the scheme when it is http or https (default https)."""
    if "://" in host:
        url = host.rstrip("/")
        authority = url.split("://", 1)[1].split("/", 1)[0]
        if port and ":" not in authority:
            url = url.replace(authority, f"{authority}:{port}", 1)
        return url
    scheme = schema if schema in ("http", "https") else "https"
    return f"{scheme}://{host.rstrip('/')}" + (f":{port}" if port else "")
