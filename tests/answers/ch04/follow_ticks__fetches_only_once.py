"""No `while True`: one fetch, its two ticks, and the feed ends."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "sends_each_tick_as_it_is_fetched"
MESSAGE = [
    "✗ 4.3 follow_ticks: GET /ticks ended after 2 ticks.\n",
    "\n  expected: a feed that goes on until the client leaves\n",
]


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        cursor = store.open_cursor()
        try:
            for tick in await run_in_threadpool(cursor.fetch):
                yield f"{tick.seq},{tick.price_cents}\n"
        finally:
            cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")
