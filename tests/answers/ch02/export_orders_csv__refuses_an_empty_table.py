"""Answers 404 when the table has no rows, where an empty table is still a CSV: the header alone."""

import csv
import io
import sqlite3

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "gives_the_header_for_an_empty_table"
MESSAGE = ["an empty table answered 404.", "expected: 200", "return the StreamingResponse"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    if db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
        raise HTTPException(404, "no orders")
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def csv_chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([name for name, *_ in rows.description])
        while batch := rows.fetchmany(1000):
            writer.writerows(batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
