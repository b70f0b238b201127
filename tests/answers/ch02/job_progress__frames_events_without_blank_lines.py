"""Writes the event stream by hand and ends each event with one line break, not two."""

import json
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import job_steps

EXERCISE = "2.4"
CASE = "sends_an_event_stream"
MESSAGE = ["✗ 2.4 job_progress: GET /progress?steps=5: the last event is not followed by a blank line.\n"]


async def job_progress(
    steps: int = Query(10, ge=1, le=1000),
    last_event_id: Annotated[int | None, Header()] = None,
    run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
) -> StreamingResponse:
    async def events():
        for step in range((last_event_id or 0) + 1, steps + 1):
            await run_step(step)
            yield f"id: {step}\ndata: {json.dumps({'step': step, 'total': steps})}\n"

    return StreamingResponse(events(), media_type="text/event-stream")
