"""Runs the default query whatever `query` says."""

import csv
import io

EXERCISE = "1.3"
CASE = "runs_the_query_it_is_given"
MESSAGE = ["csv_rows kept yielding after 3 lines, more than the query returns"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute("SELECT * FROM orders ORDER BY id")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [[d[0] for d in cursor.description]] + list(cursor):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
