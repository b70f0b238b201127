"""A bounded queue, but of 100 records instead of RELAY_QUEUE_SIZE: the feed runs 101 records ahead."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import Feed, feed_source

EXERCISE = "4.4"
CASE = "holds_the_feed_back_while_the_client_pauses"
MESSAGE = [
    "✗ 4.4 relay_feed: while the client was not reading, the feed ran 101 records (1.6 MiB) ahead of what "
    "had been sent.\n"
]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue(maxsize=100)

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

    return StreamingResponse(records(), media_type="application/jsonl")
