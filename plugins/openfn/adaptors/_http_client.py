"""One HTTP exchange as OpenFn's language-common ``request`` makes it, over httpx.

Every adaptor that speaks HTTP sends through ``send``: one ``httpx.Client`` per run (see
openfn.runtime.resources), the response body parsed by its content type, a non-2xx status raised as
``HttpError`` carrying status, method, URL and a body excerpt. What an error or a log line shows is
scrubbed first: userinfo and secret-looking query values are cut from URLs, and the credential's secret
values (and the Authorization header the adaptor built) are replaced by '***' in body excerpts.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx

from openfn.adaptors._http_urls import SECRET_QUERY, href, js_join, query_value, search_params, shown_query, shown_url, split_query
from openfn.errors import OpenFnError
from openfn.runtime.resources import shared

__all__ = ["SECRET_QUERY", "href", "js_join", "query_value", "search_params", "shown_query", "shown_url", "split_query"]

log = logging.getLogger("openfn.job")

DEFAULT_TIMEOUT_MS = 300_000  # OpenFn's default: 300 seconds
EXCERPT_CHARS = 500
# Response headers that carry a session: kept out of state (it is saved, logged and handed on).
PRIVATE_HEADERS = frozenset({"set-cookie", "set-cookie2", "authorization", "proxy-authorization", "www-authenticate"})


class HttpError(OpenFnError):
    """The server answered with an error status (>= 400, or one the ``errors`` option marks as an error)."""

    def __init__(self, message: str, *, status_code: int, method: str, url: str, body: str, fix: str = "") -> None:
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body
        shown = f"{message}; response body: {body}" if body else message
        super().__init__(shown, fix=fix)


class HttpConnectionError(OpenFnError):
    """No response at all: the server could not be reached, or did not answer in time."""


@dataclass(frozen=True)
class Reply:
    """A response: ``body`` parsed, and the rest as OpenFn puts it in ``state["response"]``."""

    method: str
    url: str
    status_code: int
    headers: dict[str, str]
    body: Any
    duration: int
    query: dict[str, Any] = field(default_factory=dict)

    @property
    def status_message(self) -> str:
        return reason(self.status_code)

    def metadata(self) -> dict[str, Any]:
        meta = {
            "url": self.url, "method": self.method, "statusCode": self.status_code,
            "statusMessage": self.status_message, "headers": self.headers, "duration": self.duration,
        }  # fmt: skip
        if self.query:
            meta["query"] = self.query
        return meta


# Where the http-status-codes package OpenFn uses names a status differently from Python's table.
JS_REASONS = {203: "Non Authoritative Information", 302: "Moved Temporarily", 418: "I'm a teapot",
              419: "Insufficient Space on Resource", 420: "Method Failure"}  # fmt: skip


def reason(status: int) -> str:
    if status in JS_REASONS:
        return JS_REASONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
    content: bytes | str | None = None,
    files: dict | None = None,
    data: dict | None = None,
    parse_as: str = "auto",
    errors: Any = None,
    timeout: float | None = None,
    follow_redirects: bool = True,
    secrets: Iterable[str] = (),
    tls: dict | None = None,
) -> Reply:
    """Send one request with the run's client; return the parsed reply or raise ``HttpError``.

    ``url`` may carry a query; its values win over ``query`` (as in OpenFn). ``errors`` is OpenFn's error
    map: ``False`` never raises; ``{404: False}`` accepts a 404; ``{409: "Duplicate"}`` or
    ``{409: lambda reply: ...}`` replaces the message; ``{302: True}`` makes a status an error.
    """
    base, url_query = split_query(url)
    # As Node's querystring: the URL's own values win, a list repeats the key, null and nested objects are empty.
    given = {**(query or {}), **url_query}
    params = {key: query_value(value) for key, value in given.items()}
    secrets = [s for s in secrets if s]
    started = time.monotonic()
    try:
        if tls:  # a client of its own per distinct set of options (the key names no secret)
            digest = hashlib.sha256(json.dumps(tls, sort_keys=True, default=str).encode()).hexdigest()[:16]
            client_scope = shared(f"httpx-tls-{digest}", tls_client(tls))
        else:
            client_scope = shared("httpx", open_client)
        with client_scope as client:
            request = client.build_request(
                method, base, params=params or None, headers=headers, content=content, data=data, files=files,
                timeout=(timeout or DEFAULT_TIMEOUT_MS) / 1000,
            )  # fmt: skip
            request.method = method  # as given: undici sends 'get' as 'get' (httpx would upper-case it)
            response = follow(client, request, follow_redirects)
    except httpx.TimeoutException:
        raise HttpConnectionError(
            f"{method} to {shown_url(base)} timed out after {(timeout or DEFAULT_TIMEOUT_MS) / 1000:g} s",
            fix="Check that the server is up, or raise the `timeout` option (milliseconds).",
        ) from None
    except httpx.HTTPError as exc:
        raise HttpConnectionError(
            f"{method} to {shown_url(base)} failed: {type(exc).__name__}: {scrub(str(exc), secrets)}",
            fix="Check the URL in the credential (Airflow Connection) and that the server is reachable.",
        ) from None
    duration = round((time.monotonic() - started) * 1000)
    shown = shown_url(url)
    check_status(response, errors, method, shown, secrets, duration)
    # language-common's line: the URL (with its own query) and then the whole query, as URLSearchParams writes it.
    log.info("%s %s%s - %d in %dms", method, shown, f"?{search_params(given)}" if given else "", response.status_code, duration)
    return Reply(
        method=method, url=shown, status_code=response.status_code, headers=public_headers(response.headers),
        body=parse_body(response, parse_as), duration=duration, query=shown_query(given, secrets),
    )  # fmt: skip


MAX_REDIRECTS = 5  # language-http's default


def follow(client: httpx.Client, request: httpx.Request, follow_redirects: bool) -> httpx.Response:
    """Send ``request`` and follow up to five redirects as undici does: httpx builds each next request
    (a 303 turns into GET without the body), and after a 303 the Content-Type goes too."""
    response = client.send(request)
    for _ in range(MAX_REDIRECTS if follow_redirects else 0):
        following = response.next_request
        if following is None:
            break
        if response.status_code == 303:
            following.headers.pop("content-type", None)
        response.close()
        response = client.send(following)
    return response


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    # Building the certificate store takes a noticeable moment; one context serves every client.
    return httpx.create_ssl_context()


def open_client() -> httpx.Client:
    return httpx.Client(verify=_ssl_context())


# language-http's `tls` (Node's TLS connect options), in the credential's extra or on one request.
TLS_KEYS = ("ca", "cert", "key", "passphrase", "rejectUnauthorized")


class TlsOptionError(OpenFnError):
    """The `tls` options cannot be used: a key we do not know, or a certificate or key that does not load."""


def check_tls(tls: Any, where: str) -> None:
    """Refuse `tls` options we would not apply (rather than connect without them)."""
    if tls is None:
        return
    fix = "Give `tls` as {'ca': <PEM text or list>, 'cert': <PEM>, 'key': <PEM>, 'passphrase': ..., 'rejectUnauthorized': False}."
    if not isinstance(tls, dict):
        raise TlsOptionError(f"`tls` {where} must be a dict, got {type(tls).__name__}.", fix=fix)
    unknown = sorted(set(tls) - set(TLS_KEYS))
    if unknown:
        raise TlsOptionError(f"`tls` {where} has options this adaptor does not apply: {', '.join(map(str, unknown))}.", fix=fix)
    for name in ("cert", "key", "passphrase"):
        if tls.get(name) is not None and not isinstance(tls[name], str):
            raise TlsOptionError(f"`tls.{name}` {where} must be PEM text, got {type(tls[name]).__name__}.", fix=fix)
    ca = tls.get("ca")
    if ca is not None and not (isinstance(ca, str) or (isinstance(ca, list) and all(isinstance(c, str) for c in ca))):
        raise TlsOptionError(f"`tls.ca` {where} must be PEM text or a list of them.", fix=fix)
    if bool(tls.get("cert")) != bool(tls.get("key")):
        raise TlsOptionError(f"`tls` {where} needs both `cert` and `key` for a client certificate.", fix=fix)
    if "rejectUnauthorized" in tls and not isinstance(tls["rejectUnauthorized"], bool):
        raise TlsOptionError(f"`tls.rejectUnauthorized` {where} must be true or false.", fix=fix)


def tls_context(tls: dict) -> ssl.SSLContext:
    """An SSL context as Node builds one from these options: ``ca`` replaces the trusted authorities,
    ``cert``/``key`` (and ``passphrase``) are the client certificate, ``rejectUnauthorized: false`` accepts any
    server certificate."""
    import os
    import tempfile

    context = ssl.create_default_context(cadata="\n".join(tls["ca"]) if isinstance(tls.get("ca"), list) else tls["ca"]) if tls.get("ca") else _fresh_default()
    try:
        if tls.get("cert"):
            with tempfile.TemporaryDirectory(prefix="openfn-tls-") as folder:  # load_cert_chain reads files only
                paths = []
                for name in ("cert", "key"):
                    path = os.path.join(folder, name)
                    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                        handle.write(tls[name])
                    paths.append(path)
                context.load_cert_chain(paths[0], paths[1], password=tls.get("passphrase"))
    except (ssl.SSLError, ValueError) as error:
        raise TlsOptionError(f"The `tls` client certificate or key could not be loaded: {error}.",
                             fix="Check that `cert` and `key` are PEM text of the same key pair, and the `passphrase`.") from None  # fmt: skip
    if tls.get("rejectUnauthorized") is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _fresh_default() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def tls_client(tls: dict) -> Callable[[], httpx.Client]:
    return lambda: httpx.Client(verify=tls_context(tls))


def check_status(response: httpx.Response, errors: Any, method: str, url: str, secrets: list[str], duration: int = 0) -> None:
    if errors is False:
        return
    mapped = (errors or {}).get(response.status_code, (errors or {}).get(str(response.status_code)))
    failed = mapped if isinstance(mapped, bool) else bool(mapped) or response.status_code >= 400
    if not failed:
        return
    log.error("%s %s - %d in %dms", method, url, response.status_code, duration)
    log.error("response body: ")
    log.error("%s", scrub(_error_body(response), secrets))
    default = f"{method} to {url} returned {response.status_code}: {reason(response.status_code)}"
    message = mapped(response) if callable(mapped) else (mapped if isinstance(mapped, str) else default)
    raise HttpError(
        scrub(str(message), secrets), status_code=response.status_code, method=method, url=url,
        body=scrub(excerpt(response), secrets), fix=status_fix(response.status_code),
    )  # fmt: skip


def _error_body(response: httpx.Response) -> str:
    """The failed response's body as language-common logs it: JSON indented, else text, else '[no body]'."""
    from openfn.adaptors._values import render

    try:
        body = parse_body(response, "auto")
    except OpenFnError:
        body = response.text
    return render(body) if body not in (None, "") else "[no body]"


def status_fix(status: int) -> str:
    if status in (401, 403):
        return "Check the username, password or token in the credential (Airflow Connection) and its permissions."
    if status == 404:
        return "Check the path, the id, and the base URL of the credential (Airflow Connection)."
    if status >= 500:
        return "The server failed; retry later or ask its administrators (see the response body)."
    return "Correct the request according to the response body."


def excerpt(response: httpx.Response) -> str:
    text = response.text.strip()
    if "json" in response.headers.get("content-type", ""):
        try:
            text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            pass
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def parse_body(response: httpx.Response, parse_as: str) -> Any:
    """The body as OpenFn reads it: none when empty; JSON, text or base64 by ``parse_as`` or content type."""
    content_type = response.headers.get("content-type", "")
    # As language-common: no body without a content type; 'auto' parses application/json only (not +json).
    if response.status_code == 204 or not response.content or not content_type:
        return None
    if parse_as == "text":
        return response.text
    if parse_as == "base64":
        return base64.b64encode(response.content).decode("ascii")
    if parse_as == "json" or (parse_as == "auto" and "application/json" in content_type):
        try:
            return response.json()
        except ValueError:
            raise OpenFnError(
                f"The response of {response.request.method} to {shown_url(str(response.url))} "
                f"({response.status_code}, {content_type or 'no content type'}) is not valid JSON",
                fix="Pass parse_as='text' to read it as text.",
            ) from None
    return response.text


def public_headers(headers: httpx.Headers) -> dict[str, str]:
    # A compressed body is handed on decompressed, so its encoding and length no longer describe it (as undici).
    dropped = PRIVATE_HEADERS | ({"content-encoding", "content-length"} if "content-encoding" in headers else set())
    return {key: value for key, value in headers.items() if key.lower() not in dropped}


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def auth_secrets(headers: dict[str, str]) -> list[str]:
    """The Authorization header's value and its credential part, to scrub from what errors show."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return [value, value.split(" ", 1)[-1]] if value else []


def basic_auth(username: Any, password: Any) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"



def next_state(state: dict, reply: Reply, data: Any = None, *, use_body: bool = True) -> dict:
    """OpenFn's result: ``data`` = the body (or ``data``), the old data appended to ``references``,
    and ``response`` = everything about the response but its body."""
    from openfn.adaptors._state import compose_next_state

    return {**compose_next_state(state, reply.body if use_body else data), "response": reply.metadata()}


def credential_secrets(state: dict, headers: dict[str, str] | None = None) -> list[str]:
    """Values that must never show in an error: the credential's secrets and the Authorization header."""
    from openfn.runtime.credentials import secret_values

    return [*secret_values(state.get("configuration")), *auth_secrets(headers or {})]
