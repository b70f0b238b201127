"""What chapter 4's exercises build on but the learner does not write (exercises/ch04_gotchas.py imports it),
each behind the dependency that hands it to an endpoint, which a check replaces with a double of its own:
for 4.1 a sensor behind a blocking driver, for 4.2 an audit log read from its database and the ExportFailed its
client raises, for 4.3 a tick database whose cursors hold a connection until they are closed; for 4.4 the feed
the relay passes on, for 4.5 the folder of files, for 4.6 the slots and the report of the heavy exports."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from course_lib.data import data_dir

__all__ = [
    "RELAY_QUEUE_SIZE",
    "RETRY_AFTER_SECONDS",
    "SLOTS",
    "TICKS",
    "AuditLog",
    "ExportFailed",
    "ExportSlots",
    "Feed",
    "Publish",
    "Sensor",
    "Tick",
    "TickCursor",
    "TickStore",
    "audit_log",
    "event_feed",
    "export_rows",
    "export_slots",
    "feed_source",
    "files_root",
    "open_sensor",
    "report_lines",
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


# == 4.4-4.6 ==

#: What 4.4's feed calls for each record; it returns once the record has been taken.
Publish = Callable[[bytes], Awaitable[None]]
#: A feed that pushes, like a message-broker subscription: `await feed(publish)` runs it to its end.
Feed = Callable[[Publish], Awaitable[None]]

#: The most records 4.4's relay may keep waiting between the feed and the client.
RELAY_QUEUE_SIZE = 16


async def event_feed(publish: Publish) -> None:
    """The feed 4.4 relays: 100,000 events, one JSON line each, published as fast as they are taken.

    b'{"n":1,"kind":"reading","value":919}\\n', b'{"n":2,...}\\n', ...  It pushes -- it awaits
    publish(record) for each one -- so nothing can iterate it; it runs until it has published them all.
    """
    for n in range(1, 100_001):
        await publish(b'{"n":%d,"kind":"reading","value":%d}\n' % (n, n * 7919 % 1000))


def feed_source() -> Feed:
    """Dependency: the feed 4.4 relays (a check swaps in one whose records it counts)."""
    return event_feed


def files_root() -> Path:
    """Dependency: the folder 4.5 serves, the course's data folder (a check swaps in its own)."""
    return data_dir()


class ExportSlots:
    """4.6's limit: at most `limit` heavy exports at once; `in_use` counts the ones running now.

    Every request runs on the server's one event loop, so a plain int is safe as long as nothing is
    awaited between reading `in_use` and changing it.
    """

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self.in_use = 0


SLOTS = ExportSlots(limit=2)
#: What a refused export tells the client: come back in this many seconds.
RETRY_AFTER_SECONDS = 5


def export_slots() -> ExportSlots:
    """Dependency: the export slots every request shares (a check swaps in its own)."""
    return SLOTS


async def report_lines() -> AsyncIterator[str]:
    """The heavy export of 4.6: a CSV report that takes three seconds (60 months, 50 ms each)."""
    yield "month,orders,revenue_cents\n"
    for month in range(60):
        await asyncio.sleep(0.05)
        yield f"{2020 + month // 12}-{month % 12 + 1:02d},{900 + month * 37 % 200},{month * 7919 % 100_000}\n"


def export_rows() -> AsyncIterator[str]:
    """Dependency: the lines of one export, not started yet (a check swaps in lines it can pause)."""
    return report_lines()
