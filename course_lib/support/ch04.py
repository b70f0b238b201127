"""What chapter 4's exercises (exercises/ch04_gotchas.py, notebooks/04_gotchas.ipynb) build on but the learner
does not write.  4.4-4.6: the feed 4.4 relays, the folder 4.5 serves, the slots and the report of 4.6's heavy
exports, each behind the dependency a check replaces."""

# == 4.4-4.6 ============================================================================================

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from course_lib.data import data_dir

__all__ = [
    "RELAY_QUEUE_SIZE",
    "RETRY_AFTER_SECONDS",
    "SLOTS",
    "ExportSlots",
    "Feed",
    "Publish",
    "event_feed",
    "export_rows",
    "export_slots",
    "feed_source",
    "files_root",
    "report_lines",
]

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
