"""Writes every row, then yields the whole text as one item."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["item 1 holds 9 CSV lines"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([d[0] for d in cursor.description])
    writer.writerows(cursor)
    yield buffer.getvalue().encode("utf-8")
