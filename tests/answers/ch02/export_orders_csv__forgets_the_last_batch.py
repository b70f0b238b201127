"""Sends the header, then the StringIO whenever it passes 64 KiB, and forgets what is left in it at the end."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "parses_back_300_awkward_rows"
MESSAGE = ["✗ 2.1 export_orders_csv: GET /orders.csv: rows are missing.\n", "got:      0 rows"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, *_ in rows.description])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow(row)
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
