"""json.dumps of a list of every row, sent as a single chunk: nothing leaves before the last row is read."""

import json
import sqlite3

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import Order, orders_connection

EXERCISE = "2.3"
CASE = "sends_elements_while_reading"
MESSAGE = [
    "✗ 2.3 orders_json_array: the whole body was built before the first byte was sent: "
    "no byte reached the client until all 3000 rows had been read from the database.\n"
]


def orders_json_array(
    limit: int = Query(1000, ge=0, le=1_000_000),
    db: sqlite3.Connection = Depends(orders_connection),
) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id LIMIT ?", (limit,))
    body = json.dumps([Order(**row).model_dump(mode="json") for row in rows])
    return StreamingResponse(iter([body]), media_type="application/json")
