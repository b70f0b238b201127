"""Writes the whole table into one StringIO and sends it as one Response: nothing leaves before the last row."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import Response, StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "sends_rows_while_reading"
MESSAGE = [
    "✗ 2.1 export_orders_csv: the whole body was built before the first byte was sent: "
    "no byte reached the client until all 40000 rows had been read from the database.\n",
    "paused at row 20000 of 40000",
]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([d[0] for d in rows.description])
    writer.writerows(rows)
    return Response(buffer.getvalue(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
