"""One cursor for the whole app, opened from TICKS when the module is imported: the store the request is given
is never used, and no cursor belongs to the request."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TICKS, TickStore, tick_store

EXERCISE = "4.3"
CASE = "opens_one_cursor_per_request"
MESSAGE = [
    "✗ 4.3 follow_ticks: GET /ticks had 0 cursors open while it streamed.\n",
    "\n  got:      0 opened, 0 closed\n",
]

CURSOR = TICKS.open_cursor()


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        while True:
            for tick in await run_in_threadpool(CURSOR.fetch):
                yield f"{tick.seq},{tick.price_cents}\n"

    return StreamingResponse(lines(), media_type="text/plain")
