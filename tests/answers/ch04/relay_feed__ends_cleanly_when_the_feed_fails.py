"""The feed's error is turned into the end marker: the client cannot tell a failed feed from a finished one."""

import asyncio
import logging

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "breaks_the_stream_off_when_the_feed_fails"
MESSAGE = [
    "✗ 4.4 relay_feed: the feed of GET /feed raised after 50 records and the stream ended normally.\n"
    "  expected: 50 records, then the response broken off (no end of body)",
]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def produce() -> None:
        try:
            await feed(queue.put)
        except Exception:
            logging.getLogger("uvicorn.error").exception("the feed failed")
        await queue.put(None)  # the end, however the feed ended

    async def records():
        task = asyncio.create_task(produce())
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            task.cancel()

    return StreamingResponse(records(), media_type="application/jsonl")
