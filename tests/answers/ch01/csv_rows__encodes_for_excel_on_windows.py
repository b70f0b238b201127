"""Encodes with cp1252 (errors replaced), not UTF-8."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["line 6 is not valid UTF-8", 'encode with line.encode("utf-8")']


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [[d[0] for d in cursor.description]] + list(cursor):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode("cp1252", errors="replace")
