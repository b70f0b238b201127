"""Runs the feed in the endpoint itself, before returning the response: nothing reads the queue yet, so the
feed waits on it forever and the response never starts."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "relays_every_record_in_order"
MESSAGE = ["GET /feed sent no response within 5 s, not even its status line.",
           "no status line: the endpoint never returned its response", "start the feed as a task"]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)
    try:
        await feed(queue.put)
    except Exception as exc:
        await queue.put(exc)
    else:
        await queue.put(None)

    async def records():
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item

    return StreamingResponse(records(), media_type="application/jsonl")
