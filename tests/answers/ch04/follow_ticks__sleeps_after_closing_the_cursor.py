"""Closes the cursor at once, then waits with time.sleep for the driver to let go of the connection: in an
`async def` generator that sleep holds the event loop, and no other request is answered meanwhile."""

import time

from fastapi import Depends
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import TickStore, tick_store

EXERCISE = "4.3"
CASE = "closes_the_cursor_as_soon_as_the_client_leaves"
MESSAGE = [
    "✗ 4.3 follow_ticks: after the client of GET /ticks disconnected, the server stopped answering.\n",
    "\n  got:      no answer within 1 s\n",
]


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    async def lines():
        cursor = store.open_cursor()
        try:
            while True:
                for tick in await run_in_threadpool(cursor.fetch):
                    yield f"{tick.seq},{tick.price_cents}\n"
        finally:
            cursor.close()
            time.sleep(1.5)  # give the driver time to release the connection

    return StreamingResponse(lines(), media_type="text/plain")
