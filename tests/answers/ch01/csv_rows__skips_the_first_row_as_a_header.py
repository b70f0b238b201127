"""Skips the cursor's first row, as one does with csv.reader, though a cursor's first row is data."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["row id=1 came back different"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue().encode("utf-8")

    yield line([d[0] for d in cursor.description])
    next(cursor, None)  # skip the header row
    for row in cursor:
        yield line(row)
