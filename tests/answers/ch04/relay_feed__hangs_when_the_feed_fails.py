"""The end marker is put only when the feed returns: an error ends the task silently and the reader waits forever."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "breaks_the_stream_off_when_the_feed_fails"
MESSAGE = [
    "✗ 4.4 relay_feed: the feed of GET /feed raised after 50 records and the stream hung: nothing more came "
    "and it never ended.\n"
]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def produce() -> None:
        await feed(queue.put)
        await queue.put(None)

    async def records():
        task = asyncio.create_task(produce())
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            task.cancel()

    return StreamingResponse(records(), media_type="application/jsonl")
