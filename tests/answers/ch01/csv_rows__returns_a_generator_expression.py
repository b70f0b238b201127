"""A plain def returning a generator expression: the query runs at the call."""

import csv
import io
import itertools

EXERCISE = "1.3"
CASE = "runs_nothing_when_called"
MESSAGE = ["calling csv_rows ran the query at once"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue().encode("utf-8")

    header = [d[0] for d in cursor.description]
    return (line(values) for values in itertools.chain([header], cursor))
