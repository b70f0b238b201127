"""Returns the inner generator function without calling it."""

import csv
import io

EXERCISE = "1.3"
CASE = "runs_nothing_when_called"
MESSAGE = ["csv_rows returned a function, not a generator"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    def lines():
        cursor = conn.execute(query)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in [[d[0] for d in cursor.description]] + list(cursor):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row)
            yield buffer.getvalue().encode("utf-8")

    return lines
