"""Streams off the loop as it should, but formats the readings with :.0f."""

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import Sensor, open_sensor

EXERCISE = "4.1"
CASE = "sends_the_sensors_rows"
MESSAGE = [
    "✗ 4.1 sensor_report: GET /report?count=20 sent 21 lines; line 2 is not what the sensor read.\n",
    "\n  expected: '0,18.0'\n",
    "\n  got:      '0,18'\n",
]


def sensor_report(
    count: int = Query(20, ge=1, le=10_000),
    sensor: Sensor = Depends(open_sensor),
) -> StreamingResponse:
    def rows():
        yield "n,celsius\n"
        for n in range(count):
            yield f"{n},{sensor.read(n):.0f}\n"

    return StreamingResponse(rows(), media_type="text/csv")
