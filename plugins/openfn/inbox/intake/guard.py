"""Limits on what one sender may cost the api-server: failed credential attempts per client, and large
bodies in flight at once.

**Failed attempts.** A wrong token, API key or basic-auth login costs the client one unit of a budget of
``[openfn] auth_failures_per_minute`` (refilled continuously). A client with no budget left gets 429 for
every request it cannot prove is a sender's it has seen succeed, *without the credentials being checked*,
so guessing stops paying. A sender whose credentials worked from that address before keeps going: what
identifies it is a digest of the credentials it presents (token, x-api-key, Authorization), remembered per
client. The client is the request's peer address (behind a proxy, start the api-server with proxy headers
so this is the sender's address).

**Large bodies.** A body over 32 KiB (or gzip-encoded) holds one of ``[openfn] max_large_bodies`` slots
from the moment it is known to be large until it is stored, so the memory large bodies take at once is
bounded whatever the number of senders.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping

MAX_CLIENTS = 10_000  # clients remembered (budgets and successes); the least recently seen are forgotten


class FailureLimiter:
    def __init__(self, per_minute: int, *, clock=time.monotonic) -> None:
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0  # budget units regained per second
        self.clock = clock
        self._budgets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (units, when)
        self._good: dict[tuple[str, int], None] = {}  # (client, credential digest) that were admitted
        self._lock = threading.Lock()

    def _units(self, client: str, now: float) -> float:
        units, when = self._budgets.get(client, (self.capacity, now))
        return min(self.capacity, units + (now - when) * self.rate)

    def retry_after(self, client: str) -> float:
        """0 when ``client`` may try; else the seconds until it may try once more."""
        if client not in self._budgets:  # never failed, or forgotten: the usual case, without the lock
            return 0.0
        with self._lock:
            units = self._units(client, self.clock())
        return 0.0 if units >= 1.0 else (1.0 - units) / self.rate

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock()
            self._budgets[client] = (self._units(client, now) - 1.0, now)
            self._budgets.move_to_end(client)
            while len(self._budgets) > MAX_CLIENTS:
                self._budgets.popitem(last=False)

    def succeeded(self, client: str, digest: int) -> None:
        key = (client, digest)
        if key in self._good:
            return
        with self._lock:
            self._good[key] = None
            while len(self._good) > MAX_CLIENTS:  # forget the oldest
                del self._good[next(iter(self._good))]

    def known(self, client: str, digest: int) -> bool:
        return (client, digest) in self._good


def credential_digest(token: str, headers: Mapping[str, str]) -> int:
    """What identifies a sender's credentials, without keeping them: Python's keyed (per process, SipHash)
    hash of token, x-api-key and Authorization, which a client cannot aim a collision at."""
    return hash((token, headers.get("x-api-key"), headers.get("authorization")))


class Slot:
    """One request's claim on a large-body slot: taken at most once, released once."""

    def __init__(self, slots: BodySlots) -> None:
        self.slots = slots
        self.held = False
        self.waiting = False

    async def take(self) -> None:
        if self.held:
            return
        self.waiting = True
        await self.slots.semaphore().acquire()
        self.waiting, self.held = False, True

    def release(self) -> None:
        if self.held:
            self.slots.semaphore().release()
            self.held = False


class BodySlots:
    """At most ``count`` large bodies in flight per process. One asyncio semaphore per event loop (the
    api-server has one; test clients may start several)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._semaphores: dict[int, asyncio.Semaphore] = {}

    def semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        found = self._semaphores.get(id(loop))
        if found is None:
            found = self._semaphores[id(loop)] = asyncio.Semaphore(self.count)
        return found

    def slot(self) -> Slot:
        return Slot(self)
