"""Numbers the events from 1 but runs the steps as 0..steps-1: run_step gets the wrong numbers."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.sse import ServerSentEvent

from course_lib.support.ch02 import Progress, job_steps

EXERCISE = "2.4"
CASE = "sends_each_event_before_the_next_step"
MESSAGE = ["✗ 2.4 job_progress: GET /progress?steps=5 ran steps [0, 1, 2, 3, 4].\n"]


async def job_progress(
    steps: int = Query(10, ge=1, le=1000),
    last_event_id: Annotated[int | None, Header()] = None,
    run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
) -> AsyncIterator[ServerSentEvent]:
    for step in range(last_event_id or 0, steps):
        await run_step(step)
        yield ServerSentEvent(id=str(step + 1), data=Progress(step=step + 1, total=steps))
