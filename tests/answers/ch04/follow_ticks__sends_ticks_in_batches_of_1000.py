"""Collects 1000 ticks before sending them in one write: at 2 ticks per 20 ms, the first line comes after 10 s."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "sends_each_tick_as_it_is_fetched"
MESSAGE = "✗ 4.3 follow_ticks: GET /ticks sent no tick for 3 s.\n"


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        cursor = store.open_cursor()
        try:
            batch = []
            while True:
                batch += await run_in_threadpool(cursor.fetch)
                if len(batch) >= 1000:
                    yield "".join(f"{t.seq},{t.price_cents}\n" for t in batch)
                    batch = []
        finally:
            cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")
