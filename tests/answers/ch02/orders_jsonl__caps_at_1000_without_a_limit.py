"""Without a limit, takes 1000 rows as if that were the default: a bigger table is cut short."""

import sqlite3
from collections.abc import Iterator

from fastapi import Depends, Query

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "sends_lines_while_reading"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl of 2000 rows gave 1000 lines.\n"]


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
    sql += " LIMIT ?"
    params.append(limit or 1000)
    for row in db.execute(sql, params):
        yield Order(**row)
