"""Puts commas between the elements of a batch but not between batches: fine up to 1000 rows only."""

import sqlite3

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import Order, orders_connection

EXERCISE = "2.3"
CASE = "sends_elements_while_reading"
MESSAGE = ["✗ 2.3 orders_json_array: GET /orders.json is not valid JSON: ',' or ']' expected.\n"]


def orders_json_array(
    limit: int = Query(1000, ge=0, le=1_000_000),
    db: sqlite3.Connection = Depends(orders_connection),
) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id LIMIT ?", (limit,))

    def array_chunks():
        yield "["
        while batch := rows.fetchmany(1000):
            yield ",".join(Order(**row).model_dump_json() for row in batch)
        yield "]"

    return StreamingResponse(array_chunks(), media_type="application/json")
