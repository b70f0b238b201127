"""Writes '[' with the first batch and ']' only if there was one: no rows give an empty body."""

import sqlite3

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import Order, orders_connection

EXERCISE = "2.3"
CASE = "is_a_valid_array_of_orders_for_each_limit"
MESSAGE = [
    "✗ 2.3 orders_json_array: GET /orders.json?limit=0 is not valid JSON: '[' expected.\n"
    "  expected: [ then elements separated by commas, then ] -- no comma before the first or after the last\n"
]


def orders_json_array(
    limit: int = Query(1000, ge=0, le=1_000_000),
    db: sqlite3.Connection = Depends(orders_connection),
) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id LIMIT ?", (limit,))

    def array_chunks():
        first = True
        while batch := rows.fetchmany(1000):
            yield ("[" if first else ",") + ",".join(Order(**row).model_dump_json() for row in batch)
            first = False
        if not first:
            yield "]"

    return StreamingResponse(array_chunks(), media_type="application/json")
