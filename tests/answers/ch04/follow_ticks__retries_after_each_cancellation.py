"""Catches CancelledError and tries again: anyio cancels every await inside a cancelled scope, so the loop
spins on CancelledError, never fetching and never reaching its finally."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "closes_the_cursor_as_soon_as_the_client_leaves"
MESSAGE = [
    "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor was never closed.\n",
    "let CancelledError through",
]


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        cursor = store.open_cursor()
        try:
            while True:
                try:
                    await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    continue  # keep the feed alive
                for tick in cursor.fetch():
                    yield f"{tick.seq},{tick.price_cents}\n"
        finally:
            cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")
