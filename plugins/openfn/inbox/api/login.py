"""Airflow login for the management API: a Bearer JWT from ``POST /auth/token`` or the UI's session cookie.

This defers to Airflow's own resolver (``airflow.api_fastapi.core_api.security.get_user``, what
``GetUserDep`` runs) but imports it on first use: the plugin module is imported by every Airflow process,
and that import alone costs most of a second.
"""

from __future__ import annotations

from fastapi import Request


async def require_user(request: Request):
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    return await get_user(request, None, await bearer_scheme(request))
