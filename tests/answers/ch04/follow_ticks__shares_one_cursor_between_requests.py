"""One cursor opened on the first request and kept for all: it is never closed."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "closes_the_cursor_as_soon_as_the_client_leaves"
MESSAGE = "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, its cursor was never closed.\n"


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    global SHARED
    if "SHARED" not in globals():
        SHARED = store.open_cursor()

    async def lines():
        while True:
            for tick in await run_in_threadpool(SHARED.fetch):
                yield f"{tick.seq},{tick.price_cents}\n"

    return StreamingResponse(lines(), media_type="text/plain")
