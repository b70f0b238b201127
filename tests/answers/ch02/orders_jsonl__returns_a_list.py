"""Returns a list of Orders: FastAPI sends one JSON document, not JSON Lines."""

import sqlite3

from fastapi import Depends, Query

from course_lib.support.ch02 import Order, Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = [
    "✗ 2.2 orders_jsonl: GET /orders.jsonl answered with Content-Type 'application/json'.\n",
    "returning a list sends one JSON document",
]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
) -> list[Order]:
    rows = db.execute("SELECT * FROM orders WHERE price_cents >= ? ORDER BY id", (min_price_cents,))
    return [Order(**row) for row in rows if status in (None, row["status"])][:limit]
