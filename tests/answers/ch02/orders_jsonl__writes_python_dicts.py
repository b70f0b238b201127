"""Streams str(dict(row)) per line: Python's repr, with single quotes, is not JSON."""

import sqlite3

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl: line 1 is not JSON.\n", "got:      \"{'id': 1,"]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
) -> StreamingResponse:
    sql = "SELECT * FROM orders WHERE price_cents >= ?"
    params: list[object] = [min_price_cents]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = db.execute(sql, params)
    return StreamingResponse((f"{dict(row)}\n" for row in rows), media_type="application/jsonl")
