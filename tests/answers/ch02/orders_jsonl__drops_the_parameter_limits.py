"""Declares min_price_cents and limit as plain ints, without Query(ge=...): a negative price is served."""

import sqlite3
from collections.abc import Iterator

from fastapi import Depends

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "refuses_bad_parameters_before_reading"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl?min_price_cents=-1 answered 200.\n", "Query(ge=...)"]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = 0,
    limit: int | None = None,
    db: sqlite3.Connection = Depends(orders_connection),
) -> Iterator[Order]:
    sql = "SELECT * FROM orders WHERE price_cents >= ?"
    params: list[object] = [min_price_cents]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in db.execute(sql, params):
        yield Order(**row)
