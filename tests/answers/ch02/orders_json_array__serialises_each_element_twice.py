"""json.dumps() of model_dump_json(): each element is a JSON string holding the order, not an object."""

import json
import sqlite3

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import Order, orders_connection

EXERCISE = "2.3"
CASE = "is_a_valid_array_of_orders_for_each_limit"
MESSAGE = ["✗ 2.3 orders_json_array: GET /orders.json?limit=1: element 1 is a JSON str, not an object.\n"]


def orders_json_array(
    limit: int = Query(1000, ge=0, le=1_000_000),
    db: sqlite3.Connection = Depends(orders_connection),
) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id LIMIT ?", (limit,))

    def array_chunks():
        yield "["
        separator = ""
        while batch := rows.fetchmany(1000):
            yield separator + ",".join(json.dumps(Order(**row).model_dump_json()) for row in batch)
            separator = ","
        yield "]"

    return StreamingResponse(array_chunks(), media_type="application/json")
