"""State: the dict that flows through a job's operations, and the rules for what may leave a run."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

SECRET_KEY = "configuration"
WARN_BYTES = 10_000
MAX_BYTES = 50_000


def empty_state() -> dict:
    return {"data": {}, "references": []}


def initial_state(conf: dict | None, saved: dict | None = None) -> dict:
    """The state a run starts from (SPEC §3, §5).

    ``{"state": {...}}`` in the run conf is the state (message, flow and fail runs, or a user's trigger);
    an empty conf starts from ``saved`` (a cron job's last saved state) or an empty state; any other conf
    object is the ``data`` of a fresh state (``airflow dags trigger <dag> --conf '{...}'``).
    """
    conf = dict(conf or {})
    conf.pop("openfn", None)
    if "state" in conf:
        state = conf["state"]
        if not isinstance(state, dict):
            raise TypeError(f"conf 'state' must be a JSON object, got {type(state).__name__}")
        state = dict(state)
    elif not conf:
        state = dict(saved) if saved else empty_state()
    else:
        state = {**empty_state(), "data": conf}
    state.setdefault("data", {})
    state.setdefault("references", [])
    state.pop(SECRET_KEY, None)
    return state


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a value of type {type(value).__name__} cannot be stored in state (state must be JSON)")


def public_state(state: dict) -> dict:
    """The state as it may be saved, returned, logged or handed on: JSON only, without ``configuration``."""
    scrubbed = {key: value for key, value in state.items() if key != SECRET_KEY}
    return json.loads(json.dumps(scrubbed, default=_default, allow_nan=False))


def state_size(state: dict) -> int:
    """Bytes of the compact UTF-8 JSON of the state without ``configuration`` (OpenFn's byte_size)."""
    scrubbed = {key: value for key, value in state.items() if key != SECRET_KEY}
    text = json.dumps(scrubbed, default=_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8"))
