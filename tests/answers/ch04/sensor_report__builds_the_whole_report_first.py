"""A plain endpoint runs in a worker thread, so the loop stays free; but nothing is sent until every read is done."""

from fastapi import Depends, Query
from fastapi.responses import Response, StreamingResponse

from course_lib.support.ch04 import Sensor, open_sensor

EXERCISE = "4.1"
CASE = "sends_each_row_as_soon_as_it_is_read"
MESSAGE = [
    "✗ 4.1 sensor_report: GET /report?count=20: the first row arrived only after all 20 readings had been taken.\n",
    "\n  expected: each row sent as soon as its reading is taken\n",
    "\n  got:      nothing but the header until 20 of 20 reads were done\n",
]


def sensor_report(
    count: int = Query(20, ge=1, le=10_000),
    sensor: Sensor = Depends(open_sensor),
) -> StreamingResponse:
    body = "n,celsius\n" + "".join(f"{n},{sensor.read(n):.1f}\n" for n in range(count))
    return Response(body, media_type="text/csv")
