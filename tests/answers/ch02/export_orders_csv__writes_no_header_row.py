"""Writes the rows but not the column names first."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "parses_back_300_awkward_rows"
MESSAGE = ["✗ 2.1 export_orders_csv: GET /orders.csv: the first row is not the header.\n", "cursor.description"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        while batch := rows.fetchmany(1000):
            writer.writerows(batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
