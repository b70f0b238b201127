"""Sends only what is new in the StringIO but never empties it: the whole export piles up in memory."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
CASE = "keeps_memory_flat"
MESSAGE = ["✗ 2.1 export_orders_csv: exporting 40000 rows took ", "expected: under 6 MiB however many rows there are"]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    rows = db.execute("SELECT * FROM orders ORDER BY id")

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([d[0] for d in rows.description])
        sent = 0
        while batch := rows.fetchmany(1000):
            writer.writerows(batch)
            yield buffer.getvalue()[sent:]
            sent = buffer.tell()
        if sent == 0:
            yield buffer.getvalue()

    return StreamingResponse(chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
