"""How a run reaches its project's collections, as Lightning's worker arranges it: the API's URL and a
token for this run and project only, handed to the job as ``collections_endpoint`` and
``collections_token`` in its configuration (JavaScript) or to the Python ``collections`` adaptor.

The token (openfn/run_tokens.py) is signed here, in the task, with the deployment's collections secret:
``[openfn] collections_secret``, else the Airflow Variable the api-server created
(``openfn_collections_secret``, read through Airflow's own API: tasks never touch the database). It
expires with the step's timeout plus ``[openfn] collections_token_grace_seconds``, and the api-server
refuses it as soon as the DAG run is no longer queued or running.

The URL: ``[openfn] collections_url``, else the host of the execution API the task itself talks to
(``[core] execution_api_server_url``), else ``[api] base_url``; ``/openfn/collections`` is appended.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from openfn.errors import OpenFnError
from openfn.run_tokens import SECRET_VARIABLE, RunClaims, sign

USES_COLLECTIONS = re.compile(r"\bcollections\s*\.")  # as Lightning's worker decides it: the code names collections.
COLLECTIONS_ADAPTOR = "@openfn/language-collections"
API_PATH = "/openfn/collections"


class CollectionsUnavailable(OpenFnError):
    """The run cannot be given access to its collections (no secret yet)."""


def api_base() -> str:
    from airflow.configuration import conf

    from openfn.settings import get_collections_settings

    if configured := get_collections_settings().url:
        return configured.rstrip("/")
    execution = conf.get("core", "execution_api_server_url", fallback="") or ""
    if execution:
        parts = urlsplit(execution)
        path = re.sub(r"/execution/?$", "", parts.path.rstrip("/") + "/")
        return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}"
    return (conf.get("api", "base_url", fallback="") or "http://localhost:8080").rstrip("/")


def _secret() -> str:
    from openfn.settings import get_collections_settings

    if configured := get_collections_settings().secret:
        return configured
    from airflow.sdk import Variable

    value = Variable.get(SECRET_VARIABLE, default=None)
    if not value:
        raise CollectionsUnavailable(
            f"This run cannot reach its collections: the Airflow Variable {SECRET_VARIABLE} is not set yet",
            fix="Start the api-server (it creates the Variable), or set [openfn] collections_secret on every component",
        )
    return str(value).strip()


def access(project: str, dag_id: str, run_id: str, timeout: float) -> dict[str, str]:
    """``{"endpoint", "token"}`` for this run; the token is registered with Airflow's secrets masker."""
    from airflow.sdk.log import mask_secret

    from openfn.settings import get_collections_settings

    expires = time.time() + timeout + get_collections_settings().token_grace_seconds
    token = sign(_secret(), RunClaims(project, dag_id, run_id, expires))
    mask_secret(token)
    return {"endpoint": api_base() + API_PATH, "token": token}


def lazy_access(project: str, dag_id: str, run_id: str, timeout: float) -> Callable[[], dict[str, str]]:
    """``access`` when first asked for (most jobs never use collections), then the same answer."""
    made: list[dict[str, str]] = []

    def get() -> dict[str, str]:
        if not made:
            made.append(access(project, dag_id, run_id, timeout))
        return made[0]

    return get
