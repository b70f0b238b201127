"""Never empties the StringIO: each item repeats every earlier line."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["an earlier line came again"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([d[0] for d in cursor.description])
    yield buffer.getvalue().encode("utf-8")
    for row in cursor:
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
