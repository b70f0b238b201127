"""Yields the text without encoding it."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ['encode each line: line.encode("utf-8")']


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [[d[0] for d in cursor.description]] + list(cursor):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
