"""The one exception hierarchy of the product: every error says what, where, and how to fix it."""

from __future__ import annotations

from typing import Any


class OpenFnError(Exception):
    """Base of every error raised by this product. ``fix`` is a sentence telling the user what to do."""

    fix: str = ""

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message

    def __reduce__(self):
        # Subclasses take other arguments than the message: rebuild from the attributes, not from ``args``
        # (checked projects, problems included, are kept between parses: readers/_model_cache.py).
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type, args: tuple, attributes: dict) -> OpenFnError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(attributes)
    return error


class ProjectError(OpenFnError):
    """A project folder that cannot be loaded: names the file, the key path, the bad value and the fix."""

    def __init__(self, file: str, key: str, problem: str, *, value: Any = None, fix: str = "", group: tuple[str, str] | None = None) -> None:
        self.file = file
        self.key = key
        self.value = value
        self.problem = problem
        # (kind, subject) of a problem many steps share (("missing_adaptor", "@openfn/language-http@7.2.10")):
        # reported once for all of them (openfn.readers.report.grouped).
        self.group = group
        where = f"{file}: {key}" if key else file
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{where}: {problem}{shown}.", fix=fix)


class OperationArgumentError(OpenFnError, ValueError):
    """An operation was built with arguments it cannot use (raised when the job's operations are built)."""


class JobFailed(OpenFnError):
    """A job failed while running: names the job, the operation (index and name) and the cause.

    ``state`` is the state before the failing operation, handed (with ``errors``) to fail triggers.
    ``operation`` may be None when the runtime does not say which operation failed (JavaScript jobs name
    the line instead, in the cause); ``error_type`` then is the runtime's own name for the error.
    """

    def __init__(self, job: str, index: int | None, operation: str | None, cause: BaseException | str, *, error_type: str | None = None) -> None:
        self.job = job
        self.index = index
        self.operation = operation
        self.cause = cause
        self.state: dict | None = None
        self._error_type = error_type
        reason = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
        if operation is None:
            super().__init__(f"Job {job!r} failed: {reason}")
            return
        where = f"operation {index} ({operation})" if index is not None else operation
        super().__init__(f"Job {job!r} failed at {where}: {reason}")

    @property
    def error_type(self) -> str:
        """The cause's exception type, as OpenFn reports it in ``errors``."""
        if self._error_type:
            return self._error_type
        return type(self.cause).__name__ if isinstance(self.cause, BaseException) else "JobError"


# --- Inbox (SPEC §6-7): every refusal becomes {"error": code, "message": sentence with the fix} -------------
class RunLost(OpenFnError):
    """The run was lost with what ran it (the JavaScript engine died with the run inside it): not the job's
    own failure, so it is started again as a run lost with its worker is (``[openfn] lost_run_retries``)."""

    def __init__(self, job: str, detail: str) -> None:
        self.job = job
        super().__init__(
            f"The run of job {job!r} was lost: {detail}.",
            fix="It is started again while [openfn] lost_run_retries allows; if it keeps being lost, see the engine's log next to its socket.",
        )


class InboxError(OpenFnError):
    """A request the inbox refuses. ``status`` is the HTTP status, ``code`` the stable error code;
    ``str()`` is the reply's message: what is wrong, then the fix."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, fix: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, fix=fix)
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        if not self.fix:
            return self.message
        fix = self.fix[:1].lower() + self.fix[1:] if self.fix[1:2].islower() else self.fix  # not "GET", "HTTP"
        return f"{self.message}; {fix}"

    def reply(self) -> dict[str, str]:
        return {"error": self.code, "message": str(self)}


class UnknownInbox(InboxError):
    """Unknown token, or wrong sender credentials: both look the same to the sender (404)."""

    status, code = 404, "not_found"

    def __init__(self) -> None:
        super().__init__(
            "No inbox answers at this URL with these credentials",
            fix="Copy the project's inbox URL (and its API key or login, if the project requires one) "
            "from GET /openfn/api/projects or the output of `make run`.",
        )


class MissingCredentials(InboxError):
    status, code = 401, "unauthorized"

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        ways = " or ".join({"api_key": "an x-api-key header", "basic": "HTTP basic auth"}[k] for k in kinds)
        headers = {"WWW-Authenticate": 'Basic realm="openfn inbox"'} if "basic" in kinds else {}
        super().__init__("This inbox requires sender credentials", fix=f"Send {ways}.", headers=headers)


class TriggerDisabled(InboxError):
    """A workflow's webhook trigger that is disabled in the project file (403, as Lightning answers)."""

    status, code = 403, "trigger_disabled"

    def __init__(self, trigger: str) -> None:
        self.trigger = trigger
        super().__init__(
            f"The webhook trigger {trigger} is disabled, so this message was not accepted",
            fix="Enable the trigger in the project file (enabled: true), or send the message elsewhere.",
        )


class UnknownResult(InboxError):
    """A result asked for a message this inbox did not take, or does not answer after completion (404)."""

    status, code = 404, "not_found"

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(
            f"This inbox has no message {message_id} whose sender is answered with its result",
            fix="Use the result_url of the reply you got, with the same inbox URL and credentials; results are "
            "kept for messages of triggers with webhook_reply: after_completion only.",
        )


class ResultErased(InboxError):
    """The message was erased on request: its result is not given out any more (410)."""

    status, code = 410, "erased"

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(f"Message {message_id} was erased on request", fix="Nothing more can be read of it.")


class BodyTooLarge(InboxError):
    status, code = 413, "body_too_large"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"The request body is larger than {limit} bytes (after inflating, if gzip-encoded)",
            fix="Send a smaller message, or ask the operator to raise [openfn] max_body_bytes.",
        )


class UnsupportedMediaType(InboxError):
    status, code = 415, "unsupported_media_type"

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"The inbox does not accept {what}",
            fix="Send the message as JSON with `Content-Type: application/json` (UTF-8), "
            "uncompressed or with `Content-Encoding: gzip`.",
        )


class InvalidBody(InboxError):
    """A body that is not JSON as PostgreSQL's jsonb accepts it (400)."""

    status = 400

    def __init__(self, code: str, problem: str, *, fix: str) -> None:
        self.code = code
        self.problem = problem
        super().__init__(problem, fix=fix)


class InvalidRequest(InboxError):
    """A management API request with a missing or malformed parameter (400)."""

    status, code = 400, "invalid_request"


class IdempotencyKeyReused(InboxError):
    """An ``Idempotency-Key`` sent again with another body or to another inbox URL (422): the key already
    stands for the first request, so this one is not stored, and not answered as if it were the first."""

    status, code = 422, "idempotency_key_reused"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"The Idempotency-Key {key!r} was already used for another request (a different body, or another inbox URL); "
            "nothing was stored for this one",
            fix="Send a new message with a new Idempotency-Key; a retry must repeat the first request exactly (same URL, same body).",
        )


class NotFound(InboxError):
    """A message, project or job the management API does not know (404)."""

    status = 404

    def __init__(self, what: str, name: str, *, fix: str) -> None:
        self.code = f"{what}_not_found"
        super().__init__(f"There is no {what} {name!r}", fix=fix)


class Forbidden(InboxError):
    status, code = 403, "forbidden"


class Conflict(InboxError):
    status, code = 409, "conflict"


class TooSoon(InboxError):
    """The 10-second rule: a message x job pair starts at most one run per 10 seconds (429)."""

    status, code = 429, "too_many_runs"

    def __init__(self, message_id: str, job: str, retry_after: int) -> None:
        self.message_id = message_id
        self.job = job
        self.retry_after = retry_after
        super().__init__(
            f"Job {job!r} already started a run for message {message_id} in the last 10 seconds",
            fix=f"Retry after {retry_after} second{'s' if retry_after != 1 else ''}.",
            headers={"Retry-After": str(retry_after)},
        )


class BodyTimeout(InboxError):
    """The body did not arrive within ``[openfn] body_timeout_seconds`` (408)."""

    status, code = 408, "body_timeout"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"The request body did not arrive within {seconds:g} seconds",
            fix="Send the whole message at once, or ask the operator to raise [openfn] body_timeout_seconds.",
        )


class InboxBusy(InboxError):
    """Too many large bodies were in flight for this one to be taken in time (503, never stored)."""

    status, code = 503, "busy"

    def __init__(self) -> None:
        super().__init__(
            "The inbox is busy with other large messages and could not take this one in time",
            fix="Retry in a few seconds; nothing was stored.",
            headers={"Retry-After": "5"},
        )


class TooManyAttempts(InboxError):
    """A client that sent too many wrong tokens or credentials (429)."""

    status, code = 429, "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        self.retry_after = seconds
        super().__init__(
            "Too many requests from this address came with a wrong inbox URL or wrong credentials",
            fix=f"Retry after {seconds} second{'s' if seconds != 1 else ''} with the inbox URL and credentials of GET /openfn/api/projects.",
            headers={"Retry-After": str(seconds)},
        )


class StoreUnavailable(InboxError):
    """The metadata database did not answer; nothing was stored (503, never for client input)."""

    status, code = 503, "unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The inbox could not store the message because its database is unavailable",
            fix="Retry in a few seconds; nothing was stored.",
            headers={"Retry-After": "5"},
        )
# --- end inbox ------------------------------------------------------------------------------------------------


class CollectionRequestError(InboxError):
    """A collections API request refused (401 bad token, 404 unknown collection, 400/413/422 bad input):
    nothing of it was written."""

    def __init__(self, status: int, code: str, message: str, *, fix: str) -> None:
        self.status, self.code = status, code
        super().__init__(message, fix=fix)
