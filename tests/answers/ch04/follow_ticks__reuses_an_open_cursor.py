"""Reuses the cursor already open, like a pool of one: alone, a client gets its own; three at once share one."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickCursor, TickStore, tick_store

EXERCISE = "4.3"
CASE = "closes_each_cursor_when_three_clients_leave_at_once"
MESSAGE = [
    "✗ 4.3 follow_ticks: three clients of GET /ticks at once had 1 cursors open.\n",
    "\n  expected: 3: one per request\n",
]

OPEN: list[TickCursor] = []


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        if not OPEN or OPEN[0].closed:
            OPEN[:] = [store.open_cursor()]
        cursor = OPEN[0]
        try:
            while True:
                for tick in await run_in_threadpool(cursor.fetch):
                    yield f"{tick.seq},{tick.price_cents}\n"
        finally:
            cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")
