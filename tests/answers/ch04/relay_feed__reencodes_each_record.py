"""Parses each record and sends json.dumps() of it: valid JSON, but without the line break that ends a record."""

import asyncio
import json

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import RELAY_QUEUE_SIZE, Feed, feed_source

EXERCISE = "4.4"
CASE = "relays_every_record_in_order"
MESSAGE = ["GET /feed: the body ended in the middle of record 1.", "whole records, each ending with a line break",
           "yield each record exactly as publish() received it"]


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
                yield json.dumps(json.loads(item))
        finally:
            task.cancel()

    return StreamingResponse(records(), media_type="application/jsonl")
