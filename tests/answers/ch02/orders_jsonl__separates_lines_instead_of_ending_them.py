"""Streams the JSON Lines itself, with a line break between lines: the last line has none."""

import sqlite3

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl: the last line has no line break at its end.\n", "end each line with \\n"]


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

    def lines():
        separator = ""
        for row in rows:
            yield separator + Order(**row).model_dump_json()
            separator = "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
