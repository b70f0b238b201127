"""f"{tick}\n": the Tick's repr, not the "seq,price_cents" line the exercise asks for."""

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "sends_each_tick_as_it_is_fetched"
MESSAGE = [
    "✗ 4.3 follow_ticks: GET /ticks sent the wrong lines.\n",
    "\n  expected: 1,10037 / 2,10074 / 3,10111 / 4,10148 / 5,10185\n",
    "\n  got:      Tick(seq=1, price_cents=10037) / ",
]


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        cursor = store.open_cursor()
        try:
            while True:
                for tick in await run_in_threadpool(cursor.fetch):
                    yield f"{tick}\n"
        finally:
            cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")
