"""No task.cancel() in the finally: a client that leaves leaves the feed waiting on a full queue forever."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "cancels_the_feed_when_the_client_leaves"
MESSAGE = [
    "✗ 4.4 relay_feed: the client of GET /feed left while the feed waited in publish(), and the feed was "
    "still running 1 s later.\n",
    "task.cancel() in its finally",
]


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
        asyncio.create_task(produce())
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item

    return StreamingResponse(records(), media_type="application/jsonl")
