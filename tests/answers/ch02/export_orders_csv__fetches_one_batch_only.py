"""Calls fetchmany(1000) once instead of in a loop: a small table is whole, a big one stops at 1000 rows."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "sends_rows_while_reading"
MESSAGE = ["✗ 2.1 export_orders_csv: GET /orders.csv of 40000 rows gave the wrong number of lines.\n", "got:      "]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, *_ in rows.description])
        writer.writerows(rows.fetchmany(1000))
        yield buffer.getvalue()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
