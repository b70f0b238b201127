"""Yields model_dump_json() strings: FastAPI serialises each one again, as a JSON string."""

import sqlite3

from fastapi import Depends, Query

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl: line 1 is a JSON string holding JSON, serialised twice.\n"]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
):
    for row in db.execute("SELECT * FROM orders WHERE price_cents >= ? ORDER BY id", (min_price_cents,)):
        yield Order(**row).model_dump_json()
