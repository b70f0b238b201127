"""Rewinds the StringIO with seek(0) but never truncate()s it: what was sent is sent again."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "parses_back_300_awkward_rows"
MESSAGE = ["✗ 2.1 export_orders_csv: GET /orders.csv: more rows than the table has.\n", "got:      an extra row: 'id,created"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, *_ in rows.description])
        while batch := rows.fetchmany(1000):
            writer.writerows(batch)
            yield buffer.getvalue()
            buffer.seek(0)
        yield buffer.getvalue()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
