"""The address senders use to reach a project's inbox: what the management API, the Projects page and
``make run`` hand out.

With several api-servers behind a load balancer every server must hand out the balancer's address, never
its own. So the first of these that is set wins:

1. ``[openfn] inbox_base_url``: when senders reach the inbox at another address than Airflow's users reach
   Airflow (e.g. only ``/openfn/inbox/`` is published on the internet);
2. ``[api] base_url``: Airflow's public address, which in a scaled-out deployment is the balancer's (tasks
   and links use it too);
3. the address the request came through: the balancer's ``X-Forwarded-Proto``/``X-Forwarded-Host``, or
   ``Host`` (the balancer passes it on unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping


def configured_base() -> str | None:
    """The configured public address of the inbox, if any (1. and 2. above)."""
    from airflow.configuration import conf

    from openfn.settings import get_settings

    base = get_settings().inbox_base_url or conf.get("api", "base_url", fallback="")
    return base.rstrip("/") or None


def request_base(headers: Mapping[str, str], scheme: str) -> str:
    """The address a request was sent to, as the client (or the balancer in front) named it."""
    host = (headers.get("x-forwarded-host") or headers.get("host") or "localhost").split(",")[0].strip()
    proto = (headers.get("x-forwarded-proto") or scheme).split(",")[0].strip()
    return f"{proto}://{host}"


def inbox_url(token: str, headers: Mapping[str, str], scheme: str) -> str:
    return f"{configured_base() or request_base(headers, scheme)}/openfn/inbox/{token}"
