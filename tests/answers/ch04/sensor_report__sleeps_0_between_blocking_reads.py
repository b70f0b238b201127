"""`await asyncio.sleep(0)` between reads lets other requests in between them, but each read still blocks."""

import asyncio

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import Sensor, open_sensor

EXERCISE = "4.1"
CASE = "keeps_the_event_loop_free"
MESSAGE = "/ping was kept waiting: the event loop was blocked."


def sensor_report(
    count: int = Query(20, ge=1, le=10_000),
    sensor: Sensor = Depends(open_sensor),
) -> StreamingResponse:
    async def rows():
        yield "n,celsius\n"
        for n in range(count):
            yield f"{n},{sensor.read(n):.1f}\n"
            await asyncio.sleep(0)

    return StreamingResponse(rows(), media_type="text/csv")
