"""Filters on status and limit but forgets min_price_cents: cheaper orders come along."""

import sqlite3
from collections.abc import Iterator

from fastapi import Depends, Query

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = [
    "✗ 2.2 orders_jsonl: GET /orders.jsonl?status=refunded&min_price_cents=5000: item ",
    "differs from the table in its 'id'",
]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
) -> Iterator[Order]:
    sql, params = "SELECT * FROM orders", []
    if status is not None:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in db.execute(sql, params):
        yield Order(**row)
