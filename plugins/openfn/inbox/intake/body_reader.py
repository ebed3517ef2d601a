"""Reading a request body within ``[openfn] max_body_bytes``, enforced while the bytes arrive.

A sender cannot make the api-server buffer more than the limit: a ``Content-Length`` above it is refused
before reading, a chunked body as soon as it crosses it, and a gzip body as soon as its *inflated* size
does (so a small compressed "bomb" is refused too). The bytes go into one growing buffer (no list of
chunks joined at the end, which would hold the body twice); a gzip body is inflated in a worker thread,
off the event loop. A body known to be large (declared, grown past ``inline`` bytes, or gzip) first takes a
large-body slot (``take_slot``, see guard.py).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from starlette.concurrency import run_in_threadpool

from openfn.errors import BodyTooLarge, InvalidBody, UnsupportedMediaType

JSON_TYPES = ("application/json",)


def check_content_type(value: str | None) -> None:
    """Accept JSON (``application/json``, ``application/*+json``) in UTF-8; no header means JSON too,
    since some webhook senders omit it."""
    if not value:
        return
    media, _, params = value.partition(";")
    media = media.strip().lower()
    if not (media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))):
        raise UnsupportedMediaType(f"Content-Type {media!r}")
    for param in params.split(";"):
        name, _, charset = param.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"the charset {charset.strip()!r}")


def content_encoding(headers: Mapping[str, str]) -> str:
    """``identity`` or ``gzip``; anything else is refused with 415."""
    value = (headers.get("content-encoding") or "identity").strip().lower()
    if value in ("", "identity"):
        return "identity"
    if value in ("gzip", "x-gzip"):
        return "gzip"
    raise UnsupportedMediaType(f"Content-Encoding {value!r}")


def declared_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        raise InvalidBody("invalid_request", f"The Content-Length header {value!r} is not a number", fix="Send a correct Content-Length, or none.") from None
    return length if length >= 0 else None


class _Inflater:
    """Incremental gzip inflation that never produces more than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._zlib = zlib.decompressobj(wbits=31)
        self.out = bytearray()

    def feed(self, data: bytes) -> None:
        try:
            while data:
                if self._zlib.eof:  # another gzip member follows: concatenated members are valid gzip
                    self._zlib = zlib.decompressobj(wbits=31)
                self._take(self._zlib.decompress(data, self.limit - self.size + 1))
                data = self._zlib.unconsumed_tail or (self._zlib.unused_data if self._zlib.eof else b"")
        except zlib.error as error:
            raise _bad_gzip(str(error)) from None

    def _take(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.limit:
            raise BodyTooLarge(self.limit)
        self.out += out

    def finish(self) -> bytearray:
        if not self._zlib.eof:
            raise _bad_gzip("the gzip stream is truncated")
        return self.out


def inflate(compressed: bytes | bytearray, limit: int) -> bytearray:
    """The inflated gzip body, at most ``limit`` bytes (a worker thread runs this)."""
    inflater = _Inflater(limit)
    view = memoryview(compressed)
    for start in range(0, len(view), 64 * 1024):  # in steps, so the limit stops a bomb early
        inflater.feed(bytes(view[start:start + 64 * 1024]))
    return inflater.finish()


def _bad_gzip(why: str) -> InvalidBody:
    return InvalidBody("invalid_gzip", f"The body is marked Content-Encoding: gzip but {why}", fix="Send a complete gzip stream, or the JSON uncompressed.")


async def _nothing() -> None:
    return None


async def read_limited(
    chunks: AsyncIterator[bytes], headers: Mapping[str, str], limit: int, *, inline: int = 0,
    take_slot: Callable[[], Awaitable[None]] = _nothing,
) -> bytearray:
    """The body's bytes (inflated if gzip) after checking type, encoding and size. Raises InboxError.
    ``take_slot`` is awaited (it may be awaited again: it must be idempotent) once the body is known to be
    larger than ``inline`` bytes, or gzip-encoded."""
    check_content_type(headers.get("content-type"))
    gzip = content_encoding(headers) == "gzip"
    length = declared_length(headers)
    if length is not None and length > limit:
        raise BodyTooLarge(limit)
    if gzip or (length is not None and length > inline):
        await take_slot()
    buffer = bytearray()
    async for chunk in chunks:
        if not chunk:
            continue
        if len(buffer) + len(chunk) > limit:  # the body as sent is bounded too, compressed or not
            raise BodyTooLarge(limit)
        buffer += chunk
        if len(buffer) > inline:
            await take_slot()
    if gzip and buffer:
        return await run_in_threadpool(inflate, buffer, limit)
    return buffer
