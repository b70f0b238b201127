"""Writes the orders table's column names as the header, whatever columns the query returns."""

import csv
import io

EXERCISE = "1.3"
CASE = "runs_the_query_it_is_given"
MESSAGE = [
    "with another query, the output did not follow it",
    "run the `query` argument",
]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [["id", "customer", "note", "amount"]] + list(conn.execute(query)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
