"""Streams off the loop, but declares a Content-Length as if every row were as long as the header: the body
ends short of it, and the server has to cut the connection."""

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import Sensor, open_sensor

EXERCISE = "4.1"
CASE = "sends_the_sensors_rows"
MESSAGE = ["GET /report?count=20 broke off before its end.", "21 lines, then RemoteProtocolError"]


def sensor_report(
    count: int = Query(20, ge=1, le=10_000),
    sensor: Sensor = Depends(open_sensor),
) -> StreamingResponse:
    def rows():
        yield "n,celsius\n"
        for n in range(count):
            yield f"{n},{sensor.read(n):.1f}\n"

    size = len("n,celsius\n") * (count + 1)  # lets a client show its progress
    return StreamingResponse(rows(), media_type="text/csv", headers={"Content-Length": str(size)})
