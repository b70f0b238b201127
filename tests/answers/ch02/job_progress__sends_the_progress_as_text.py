"""Sends the text "1/5" as the data: readable, but a JSON string, not the Progress object a client parses."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.sse import ServerSentEvent

from course_lib.support.ch02 import job_steps

EXERCISE = "2.4"
CASE = "sends_each_event_before_the_next_step"
MESSAGE = ["✗ 2.4 job_progress: GET /progress?steps=5: event 1 carries the wrong data.\n", 'got:      data: "1/5"']


async def job_progress(
    steps: int = Query(10, ge=1, le=1000),
    last_event_id: Annotated[int | None, Header()] = None,
    run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
) -> AsyncIterator[ServerSentEvent]:
    for step in range((last_event_id or 0) + 1, steps + 1):
        await run_step(step)
        yield ServerSentEvent(id=str(step), data=f"{step}/{steps}")
