"""Yields the buffer before writerow() fills it: an empty first item."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["csv_rows yielded an empty item b'' (item 1)"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [[d[0] for d in cursor.description]] + list(cursor):
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
