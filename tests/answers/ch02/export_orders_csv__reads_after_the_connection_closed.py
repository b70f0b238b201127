"""Depends(..., scope="function") closes the connection when the function returns, before the stream reads it:
the error is reported from the learner's generator, with its line."""

import csv
import io
import sqlite3

from fastapi import Depends
from fastapi.responses import StreamingResponse

from course_lib.support.ch02 import orders_connection

EXERCISE = "2.1"
VERDICT = "raised"
CASE = "parses_back_300_awkward_rows"
MESSAGE = [
    "✗ 2.1 export_orders_csv raised ProgrammingError while serving the request: Cannot operate on a closed database.\n",
    "rows = db.execute('SELECT * FROM orders ORDER BY id')\n",
]


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection, scope="function")) -> StreamingResponse:
    def csv_chunks():
        rows = db.execute('SELECT * FROM orders ORDER BY id')
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
