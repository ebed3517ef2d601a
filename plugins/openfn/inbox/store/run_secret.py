"""The secret that signs the tokens runs reach their collections with (openfn/run_tokens.py).

``[openfn] collections_secret`` when set (every component must then have the same); otherwise the Airflow
Variable ``openfn_collections_secret``, generated once by the first api-server that needs it: concurrent
api-servers insert-if-absent and all read back the one that won. Tasks read the Variable through Airflow's
own API. Changing it ends every token signed before (running steps' collections calls then fail).
"""

from __future__ import annotations

import logging
import secrets

from openfn.run_tokens import SECRET_VARIABLE

log = logging.getLogger("openfn.inbox")


def _read() -> str | None:
    from airflow.models.variable import Variable

    value = Variable.get(SECRET_VARIABLE, default_var=None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _insert_if_absent(value: str) -> None:
    from airflow.models.variable import Variable
    from sqlalchemy.dialects import postgresql, sqlite

    from openfn.inbox.store.database import get_database

    database = get_database()
    variable = Variable(key=SECRET_VARIABLE, val=value)  # encrypted with the Fernet key when one is configured
    insert = postgresql.insert if database.dialect == "postgresql" else sqlite.insert
    statement = insert(Variable.__table__).values(
        key=SECRET_VARIABLE, val=variable._val, is_encrypted=variable.is_encrypted,
        description="Signs the tokens OpenFn runs reach their project's collections with. Change it to revoke every token.",
    ).on_conflict_do_nothing(index_elements=["key"])  # fmt: skip
    with database.write() as connection:
        connection.execute(statement)
    try:
        from airflow.sdk import SecretCache

        SecretCache.invalidate_variable(SECRET_VARIABLE)
    except Exception:  # the cache is optional; reading back is what matters
        log.debug("could not invalidate the secret cache for %s", SECRET_VARIABLE, exc_info=True)


def ensure_secret() -> str:
    """The collections secret, generated and stored on first use."""
    from openfn.settings import get_collections_settings

    configured = get_collections_settings().secret
    if configured:
        return configured
    secret = _read()
    if secret is None:
        _insert_if_absent(secrets.token_urlsafe(32))
        secret = _read()
        if secret is None:
            raise RuntimeError(f"the Airflow Variable {SECRET_VARIABLE} could not be stored or read back")
        log.info("Generated the collections token secret (Airflow Variable %s)", SECRET_VARIABLE)
    return secret
