"""An async generator that closes its cursor after the loop: the loop never ends, and a cancellation skips
the close."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "closes_the_cursor_as_soon_as_the_client_leaves"
MESSAGE = [
    "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor was never closed.\n",
    "\n  expected: the cursor closed within 1 s of the disconnect\n",
    "\n  got:      1 cursor still open, even after a garbage collection\n",
]


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        cursor = store.open_cursor()
        while True:
            for tick in await run_in_threadpool(cursor.fetch):
                yield f"{tick.seq},{tick.price_cents}\n"
        cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")
