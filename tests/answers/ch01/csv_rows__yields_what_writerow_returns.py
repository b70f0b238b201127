"""Yields writerow()'s result, the number of characters it wrote."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = [
    "csv_rows yielded a int, not bytes (line 1)",
    "csv.writer into an io.StringIO",
]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    writer = csv.writer(io.StringIO())
    yield writer.writerow([d[0] for d in cursor.description])
    for row in cursor:
        yield writer.writerow(row)
