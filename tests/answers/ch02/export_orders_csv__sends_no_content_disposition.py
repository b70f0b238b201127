"""Streams the CSV right but without Content-Disposition: the browser shows it instead of saving a file."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "is_a_csv_download"
MESSAGE = [
    "✗ 2.1 export_orders_csv: GET /orders.csv does not ask the browser to save a file.\n"
    '  expected: Content-Disposition: attachment; filename="orders.csv"\n'
    "  got:      no Content-Disposition header\n",
]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([d[0] for d in rows.description])
        while batch := rows.fetchmany(1000):
            writer.writerows(batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(chunks(), media_type="text/csv")
