"""``openfn_inbox_asset``: an OpenFn project's inbox, with a filter, as an Airflow Asset.

A DAG with ``schedule=[openfn_inbox_asset("clinic", criteria={...})]`` runs once per message of the project
whose body matches the filter: the asset's ``AssetWatcher`` runs an ``OpenFnInboxTrigger`` in the
triggerer, which turns each matching message into one asset event. The event's ``extra["payload"]``
holds ``message_id``, ``project``, ``received_at`` and ``body``. Exactly once per message, across triggerer
restarts and several triggerers: what was delivered is kept by the api-server (store/watchers.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from airflow.sdk import Asset, AssetWatcher

from openfn.sensors.arguments import check_project, filter_text, since_text
from openfn.sensors.trigger import OpenFnInboxTrigger
from openfn.settings import get_settings


def inbox_asset_uri(project: str, criteria: str, exclusion: str | None) -> str:
    """The asset's URI: the project and a digest of its filters (the same filters are the same asset)."""
    digest = hashlib.sha256(f"{criteria}\0{exclusion or ''}".encode()).hexdigest()[:16]
    return f"openfn-inbox://{project}/{digest}"


def openfn_inbox_asset(project: str, *, criteria: Any = None, exclusion: Any = None, since: Any = None,
                       name: str | None = None) -> Asset:  # fmt: skip
    """The Asset of ``project``'s inbox messages whose body contains ``criteria`` and not ``exclusion``.

    ``name`` (default ``openfn-inbox-<project>-<digest>``) names it in the UI; ``since`` starts a new
    asset's watcher at that time instead of after the newest message.
    """
    where = f"openfn_inbox_asset({project!r})"
    project = check_project(project, where=where)
    criteria_text = filter_text({} if criteria is None else criteria, "criteria", where=where)
    exclusion_text = filter_text(exclusion, "exclusion", where=where)
    uri = inbox_asset_uri(project, criteria_text, exclusion_text)
    trigger = OpenFnInboxTrigger(watcher=f"asset:{uri}", project=project, criteria=criteria_text, exclusion=exclusion_text,
                                 since=since_text(since, where=where), poll_interval=get_settings().watch_interval_seconds)  # fmt: skip
    asset_name = name or f"openfn-inbox-{project}-{uri.rsplit('/', 1)[1]}"
    return Asset(name=asset_name, uri=uri, group="openfn-inbox", watchers=[AssetWatcher(name=f"{asset_name}-watcher", trigger=trigger)])
