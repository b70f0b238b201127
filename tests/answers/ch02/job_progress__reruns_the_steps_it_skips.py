"""Skips sending the events the client has but still runs their steps again."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.sse import ServerSentEvent

from course_lib.support.ch02 import Progress, job_steps

EXERCISE = "2.4"
CASE = "resumes_after_the_last_event_id"
MESSAGE = ["✗ 2.4 job_progress: GET /progress?steps=5 with Last-Event-ID: 3 ran steps [1, 2, 3, 4, 5].\n"]


async def job_progress(
    steps: int = Query(10, ge=1, le=1000),
    last_event_id: Annotated[int | None, Header()] = None,
    run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
) -> AsyncIterator[ServerSentEvent]:
    for step in range(1, steps + 1):
        await run_step(step)
        if last_event_id is None or step > last_event_id:
            yield ServerSentEvent(id=str(step), data=Progress(step=step, total=steps))
