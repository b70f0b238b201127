"""Selects the columns it thinks matter and yields them as dicts: the lines lack the Order's notes."""

import sqlite3

from fastapi import Depends, Query

from course_lib.support.ch02 import Status, orders_connection

EXERCISE = "2.2"
CASE = "gives_the_orders_each_filter_selects"
MESSAGE = ["✗ 2.2 orders_jsonl: GET /orders.jsonl: item 1 does not have the Order fields.\n", "serialise Order objects"]


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
):
    sql = "SELECT id, created, customer, item, quantity, price_cents, status FROM orders WHERE price_cents >= ?"
    params: list[object] = [min_price_cents]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in db.execute(sql, params):
        yield dict(row)
