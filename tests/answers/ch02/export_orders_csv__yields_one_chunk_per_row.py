"""Yields after every row: 40000 tiny chunks, each a send() and a trip to a worker thread."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "sends_rows_while_reading"
MESSAGE = [
    "✗ 2.1 export_orders_csv: GET /orders.csv sent more than 2000 chunks for 40000 rows: about one chunk per row.\n"
]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([d[0] for d in rows.description])
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
