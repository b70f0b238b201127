"""A queue without maxsize: put() never waits, so the feed runs ahead of a paused client with nothing to stop it."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import Feed, feed_source

EXERCISE = "4.4"
CASE = "holds_the_feed_back_while_the_client_pauses"
MESSAGE = [
    "✗ 4.4 relay_feed: while the client was not reading, the feed ran 256 records (4 MiB) ahead of what had "
    "been sent and was still going, when the check stopped it.",
    "  expected: at most 16 records waiting (RELAY_QUEUE_SIZE) plus the one being sent",
    "  got:      256 records held by the app, with nothing holding the feed back",
]


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    queue = asyncio.Queue()

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
