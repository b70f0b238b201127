"""Encodes the CSV as UTF-16 so that Excel shows the accents: the body is no longer UTF-8."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "parses_back_300_awkward_rows"
MESSAGE = ["✗ 2.1 export_orders_csv: GET /orders.csv is not valid UTF-8 (byte 0 of a chunk).", "UTF-8 text"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, *_ in rows.description])
        while batch := rows.fetchmany(1000):
            writer.writerows(batch)
            yield buffer.getvalue().encode("utf-16")
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue().encode("utf-16")

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
