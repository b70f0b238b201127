"""Drops the `db` dependency and opens the database itself: it works on the course's data, but the endpoint
no longer says what it needs, so nothing (a test, the check) can hand it another database."""

import csv
import io
import sqlite3

from fastapi.responses import StreamingResponse

from course_lib.data import orders_db

EXERCISE = "2.1"
CASE = "parses_back_300_awkward_rows"
MESSAGE = ["export_orders_csv does not depend on orders_connection, so the check cannot give it its own data",
           "keep the function's signature as the exercise gives it"]


def export_orders_csv() -> StreamingResponse:
    db = sqlite3.connect(orders_db(), check_same_thread=False)
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
        db.close()

    return StreamingResponse(csv_chunks(), media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="orders.csv"'})
