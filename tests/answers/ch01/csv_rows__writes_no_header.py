"""Writes the rows but no header line."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["no header", "yield the column names first"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in conn.execute(query):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
