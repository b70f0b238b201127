"""Counts the orders from 0 and stops after yielding the one numbered `limit`: one order too many."""

import sqlite3
from collections.abc import Iterator

from fastapi import Depends, Query

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl?limit=3 gave 4 orders.\n", "the first extra one is order 4"]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
) -> Iterator[Order]:
    sql = "SELECT * FROM orders WHERE price_cents >= ?"
    params: list[object] = [min_price_cents]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY id"
    for count, row in enumerate(db.execute(sql, params)):
        yield Order(**row)
        if count == limit:
            break
