"""Returns the records() generator instead of a StreamingResponse over it: FastAPI cannot encode it (500)."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "relays_every_record_in_order"
MESSAGE = ["GET /feed answered 500.", "expected: 200 and the records", "return a StreamingResponse"]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def produce() -> None:
        try:
            await feed(queue.put)
        except Exception as exc:
            await queue.put(exc)
        else:
            await queue.put(None)

    async def records():
        task = asyncio.create_task(produce())
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            task.cancel()

    return records()
