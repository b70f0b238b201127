"""Writes the header inside the loop, before each batch: an empty table gets no header at all."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "gives_the_header_for_an_empty_table"
MESSAGE = ["✗ 2.1 export_orders_csv: an empty table: the body was empty.\n", "write the header row first, even when there are no rows"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        first = True
        while batch := rows.fetchmany(1000):
            if first:
                writer.writerow([name for name, *_ in rows.description])
                first = False
            writer.writerows(batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
