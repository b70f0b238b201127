"""Takes status as a plain str and checks it in the body: inside a generator that runs after the 200 is sent."""

import sqlite3
from collections.abc import Iterator

from fastapi import Depends, HTTPException, Query

from course_lib.support.ch02 import Order, orders_connection

EXERCISE = "2.2"
CASE = "refuses_bad_parameters_before_reading"
MESSAGE = [
    "✗ 2.2 orders_jsonl: GET /orders.jsonl?status=lost answered 200 and then the stream broke.\n"
    "  expected: 422 Unprocessable Content, before the stream starts\n"
    "  got:      a 200 whose body ended with RemoteProtocolError: the status line had already gone out\n"
]


def orders_jsonl(
    status: str | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
) -> Iterator[Order]:
    if status is not None and status not in ("paid", "shipped", "delivered", "cancelled", "refunded"):
        raise HTTPException(422, f"unknown status {status!r}")
    sql, params = "SELECT * FROM orders WHERE price_cents >= ?", [min_price_cents]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in db.execute(sql, params):
        yield Order(**row)
