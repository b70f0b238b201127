"""No end marker: when the feed returns, the reader waits on the empty queue and the body never ends."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "relays_every_record_in_order"
MESSAGE = ["GET /feed sent nothing for 5 s after record", "and the feed had ended.", "got:      the body never ended",
           "put a marker (None) in the queue"]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def produce() -> None:
        try:
            await feed(queue.put)
        except Exception as exc:
            await queue.put(exc)

    async def records():
        task = asyncio.create_task(produce())
        try:
            while True:
                item = await queue.get()
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            task.cancel()

    return StreamingResponse(records(), media_type="application/jsonl")
