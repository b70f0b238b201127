"""What chapter 4's exercises build on (exercises/ch04_gotchas.py imports it): for 4.1 a sensor behind a
blocking driver, for 4.2 an audit log read from its database and the ExportFailed its client raises, for 4.3
a tick database whose cursors hold a connection until they are closed -- each with the dependency that hands
it to an endpoint, which a check replaces with a double of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import NamedTuple

__all__ = [
    "TICKS",
    "AuditLog",
    "ExportFailed",
    "Sensor",
    "Tick",
    "TickCursor",
    "TickStore",
    "audit_log",
    "open_sensor",
    "tick_store",
]

# == 4.1-4.3 ==


class Sensor:
    """A sensor behind a blocking driver: read() waits for the device the way a sync database driver
    waits for the database.  Most readings take 50 ms; now and then one takes a whole second."""

    def read(self, n: int) -> float:
        """Reading number `n`, in degrees Celsius: 18.0, 18.7, 19.4, ...  Blocks until the device answers."""
        time.sleep(1.0 if n % 50 == 10 else 0.05)
        return 18 + (n * 7 % 50) / 10


def open_sensor() -> Sensor:
    """Dependency: the sensor 4.1 reads (a check swaps in one it can watch)."""
    return Sensor()


class ExportFailed(Exception):
    """Raised by read_audit (4.2) when an export did not arrive whole."""


class AuditLog:
    """The audit log 4.2 exports, read from its database an event at a time (here: made up on the fly)."""

    USERS = ("ada", "grace", "linus", "margaret", "ken")
    ACTIONS = ("login", "export", "update", "delete", "logout")

    def __init__(self, count: int = 1000) -> None:
        self.count = count

    def events(self) -> Iterator[dict]:
        """Yield the events in id order, as dicts:
            {"id": 1, "at": "2025-01-01T00:00:07Z", "user": "grace", "action": "export"}
        Like any database read it can fail anywhere: before the first event, or after many."""
        for i in range(1, self.count + 1):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735689600 + 7 * i))
            yield {"id": i, "at": at, "user": self.USERS[i % 5], "action": self.ACTIONS[i * i % 5]}


def audit_log() -> AuditLog:
    """Dependency: the audit log 4.2 exports (a check swaps in one that fails where it wants)."""
    return AuditLog()


class Tick(NamedTuple):
    seq: int
    price_cents: int


class TickCursor:
    """A cursor on the live tick feed, from a blocking driver: fetch() waits for the next ticks (about
    20 ms) and returns them.  Until close(), it holds a connection on the database server."""

    def __init__(self, store: TickStore) -> None:
        self._store = store
        self._seq = 0
        self.closed = False

    def fetch(self) -> list[Tick]:
        if self.closed:
            raise RuntimeError("fetch() on a closed cursor")
        time.sleep(0.02)
        seqs = (self._seq + 1, self._seq + 2)
        self._seq += 2
        return [Tick(seq, 10_000 + seq * 37 % 200) for seq in seqs]

    def close(self) -> None:
        """Release the cursor; closing it again does nothing."""
        if not self.closed:
            self.closed = True
            self._store._released()


class TickStore:
    """The tick database: open_cursor() opens a new cursor; `open_cursors` counts those not closed yet."""

    def __init__(self) -> None:
        self.open_cursors = 0
        self._lock = threading.Lock()

    def open_cursor(self) -> TickCursor:
        with self._lock:
            self.open_cursors += 1
        return TickCursor(self)

    def _released(self) -> None:
        with self._lock:
            self.open_cursors -= 1


TICKS = TickStore()


def tick_store() -> TickStore:
    """Dependency: the tick database 4.3 follows (a check swaps in one that counts its cursors)."""
    return TICKS
