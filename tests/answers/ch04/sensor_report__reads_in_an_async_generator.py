"""The docstring's version: sensor.read() blocks, and an `async def` generator runs it on the event loop."""

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import Sensor, open_sensor

EXERCISE = "4.1"
CASE = "keeps_the_event_loop_free"
MESSAGE = [
    "✗ 4.1 sensor_report: while GET /report?count=20 was streaming, /ping was kept waiting: "
    "the event loop was blocked.\n",
    "\n  expected: /ping answered within 500 ms all along (a free loop answers in a few ms)\n",
    "\n  got:      /ping latency p50 ",
]


def sensor_report(
    count: int = Query(20, ge=1, le=10_000),
    sensor: Sensor = Depends(open_sensor),
) -> StreamingResponse:
    async def rows():
        yield "n,celsius\n"
        for n in range(count):
            yield f"{n},{sensor.read(n):.1f}\n"

    return StreamingResponse(rows(), media_type="text/csv")
