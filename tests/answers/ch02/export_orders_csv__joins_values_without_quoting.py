"""Joins the values with commas by hand: a comma, quote or line break inside a value breaks the row."""

import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "parses_back_300_awkward_rows"
MESSAGE = [
    "✗ 2.1 export_orders_csv: GET /orders.csv: row 2 (order 2) does not parse back",
    "let csv.writer quote the values",
]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def lines():
        yield ",".join(d[0] for d in rows.description) + "\n"
        while batch := rows.fetchmany(1000):
            yield "".join(",".join(str(v) for v in row) + "\n" for row in batch)

    return StreamingResponse(lines(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
