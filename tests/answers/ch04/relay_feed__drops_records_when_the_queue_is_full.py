"""put_nowait() with QueueFull ignored: the feed never waits, and what a full queue cannot take is lost."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "loses_no_record"
MESSAGE = [
    "✗ 4.4 relay_feed: GET /feed ended before the feed's last records: records were lost.\n"
    "  expected: every record the feed published, then the end",
    "never drop a record",
]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def publish(record: bytes) -> None:
        try:
            queue.put_nowait(record)
        except asyncio.QueueFull:
            pass

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
