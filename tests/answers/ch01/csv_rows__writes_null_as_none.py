"""Turns every value into str() first, so NULL becomes the word None."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["NULL values and they came out as the word None"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield_header = [d[0] for d in cursor.description]
    for row in [yield_header] + [[str(v) for v in r] for r in cursor]:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
