"""Sends the header at once, then fetchall(): no row leaves until every row has been read."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "sends_rows_while_reading"
MESSAGE = [
    "✗ 2.1 export_orders_csv: no row reached the client while 20000 of 40000 rows had been read from the database.\n"
]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    cursor = db.execute("SELECT * FROM orders ORDER BY id")

    def chunks():
        yield ",".join(d[0] for d in cursor.description) + "\r\n"
        rows = cursor.fetchall()
        for start in range(0, len(rows), 1000):
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows[start : start + 1000])
            yield buffer.getvalue()

    return StreamingResponse(chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
