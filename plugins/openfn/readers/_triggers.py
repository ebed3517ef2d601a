"""The ``triggers:`` section: exactly one kind per trigger (criteria, cron, success, failure)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from openfn.readers._reader import JOB_KEY, Reader
from openfn.model.project import CronTrigger, FailTrigger, FlowTrigger, MessageTrigger, Trigger

KINDS = ("criteria", "cron", "success", "failure")
REPLY_KEYS = ("webhook_reply", "webhook_response_config", "webhook_reply_after_flow")
OPTIONAL = {"criteria": ("exclusion", *REPLY_KEYS), "cron": ("timezone",), "success": (), "failure": ()}
REPLIES = ("before_start", "after_completion")


def parse_triggers(reader: Reader, raw: Any) -> dict[str, Trigger]:
    section = reader.mapping(raw, "triggers", fix="list triggers as `name: {criteria: ...}` entries.")
    triggers: dict[str, Trigger] = {}
    for key, value in section.items():
        with reader.guard(f"triggers.{key}"):
            triggers[str(key)] = parse_trigger(reader, str(key), value)
    return triggers


def parse_trigger(reader: Reader, key: str, raw: Any) -> Trigger:
    where = f"triggers.{key}"
    reader.string(key, where, fix="use letters, digits, '-' and '_' in trigger names.", pattern=JOB_KEY)
    fix = "give exactly one of `criteria: '{...}'`, `cron: '0 23 * * 5'`, `success: <job>` or `failure: <job>`."
    body = reader.mapping(raw, where, fix=fix)
    kinds = [kind for kind in KINDS if kind in body]
    if len(kinds) != 1:
        problem = "has no trigger kind" if not kinds else f"has {len(kinds)} kinds ({', '.join(kinds)})"
        raise reader.error(where, problem, fix=fix)
    kind = kinds[0]
    reader.check_keys(body, where, (kind, *OPTIONAL[kind], "description", "type"))
    if kind == "criteria":
        success_code, error_code = response_codes(reader, body.get("webhook_response_config"), f"{where}.webhook_response_config")
        return MessageTrigger(
            key=key,
            inclusion=_filter(reader, body["criteria"], f"{where}.criteria"),
            exclusion=_filter(reader, body["exclusion"], f"{where}.exclusion") if body.get("exclusion") not in (None, "") else None,
            reply=reply_mode(reader, body.get("webhook_reply"), f"{where}.webhook_reply"),
            success_code=success_code,
            error_code=error_code,
            reply_after_flow=reader.boolean(body.get("webhook_reply_after_flow"), f"{where}.webhook_reply_after_flow", False),
        )
    if kind == "cron":
        return _cron(reader, key, body, where)
    upstream = reader.string(body[kind], f"{where}.{kind}", fix="name the job whose result starts this trigger.")
    return FlowTrigger(key=key, upstream=upstream) if kind == "success" else FailTrigger(key=key, upstream=upstream)


def _filter(reader: Reader, value: Any, where: str) -> Any:
    from openfn.matching import parse_filter

    try:
        parsed = parse_filter(value)
    except ValueError as exc:
        raise reader.error(where, f"is not valid JSON ({exc})", value=value, fix="""write a JSON object such as '{"formID": "patient_registration_v7"}'.""") from None
    if not isinstance(parsed, dict | list):
        raise reader.error(where, "must be a JSON object or array", value=value, fix="""write a JSON object such as '{"formID": "patient_registration_v7"}'.""")
    return parsed


def parse_cron(reader: Reader, value: Any, where: str) -> str:
    """A valid 5-field cron expression, fields separated by single spaces."""
    from croniter import croniter

    expression = reader.string(value, where, fix="write 5 cron fields, e.g. '0 23 * * 5'.")
    fields = expression.split()
    if len(fields) != 5 or not croniter.is_valid(expression):
        raise reader.error(
            where,
            "is not a valid 5-field cron expression",
            value=expression,
            fix="write minute hour day-of-month month day-of-week, e.g. '0 23 * * 5' (Fridays at 23:00).",
        )
    return " ".join(fields)


def _cron(reader: Reader, key: str, body: dict, where: str) -> CronTrigger:
    cron = parse_cron(reader, body["cron"], f"{where}.cron")
    timezone = body.get("timezone") or "UTC"
    try:
        zoneinfo.ZoneInfo(str(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise reader.error(f"{where}.timezone", "is not a known IANA time zone", value=timezone, fix="use a name such as 'Africa/Nairobi' or 'UTC'.") from None
    return CronTrigger(key=key, cron=cron, timezone=str(timezone))


def reply_mode(reader: Reader, value: Any, where: str, *, accepted: tuple[str, ...] = REPLIES) -> str:
    """``before_start`` (the default: answer at once) or ``after_completion`` (answer with the result)."""
    if value in (None, ""):
        return "before_start"
    if value not in accepted:
        raise reader.error(where, "must be before_start or after_completion", value=value, fix="write `webhook_reply: before_start` or `after_completion`.")
    return str(value)


def response_codes(reader: Reader, value: Any, where: str) -> tuple[int | None, int | None]:
    """``webhook_response_config: {success_code, error_code}``: the reply's status for a run that succeeded
    or failed (each optional)."""
    if value in (None, ""):
        return None, None
    codes = reader.mapping(value, where, fix="write `{success_code: 200, error_code: 502}` (each optional).")
    reader.check_keys(codes, where, ("success_code", "error_code"))
    return _status(reader, codes.get("success_code"), f"{where}.success_code"), _status(reader, codes.get("error_code"), f"{where}.error_code")


def _status(reader: Reader, value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 200 <= value <= 599:
        raise reader.error(where, "must be an HTTP status code of a final answer", value=value, fix="write a number from 200 to 599, e.g. 200.")
    return value
