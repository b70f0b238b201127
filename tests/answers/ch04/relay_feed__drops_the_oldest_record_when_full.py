"""A full queue makes room by dropping its oldest record: the feed is never held back and records go missing."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "relays_every_record_in_order"
MESSAGE = ["never arrived: record", "expected: every record once, in the order published", "never drop a record"]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def publish(record: bytes) -> None:
        if queue.full():
            queue.get_nowait()  # make room: the newest records matter most
        queue.put_nowait(record)

    async def produce() -> None:
        try:
            await feed(publish)
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

    return StreamingResponse(records(), media_type="application/jsonl")
