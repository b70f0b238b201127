"""Adds a line break to each record, which already ends with one: every other line is empty."""

import asyncio

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "relays_every_record_in_order"
MESSAGE = ["GET /feed: record 2 arrived changed.", "got:      1 bytes: b'\\n'...",
           "yield the bytes publish() received, unchanged"]


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
                yield item + b"\n"
        finally:
            task.cancel()

    return StreamingResponse(records(), media_type="application/jsonl")
