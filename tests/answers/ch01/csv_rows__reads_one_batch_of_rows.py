"""Takes one fetchmany(1000) batch and stops: a bigger result is cut short."""

import csv
import io

EXERCISE = "1.3"
CASE = "gives_a_line_per_row_of_a_big_table"
MESSAGE = ["30000 rows gave 1001 lines"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue().encode("utf-8")

    yield line([d[0] for d in cursor.description])
    for row in cursor.fetchmany(1000):
        yield line(row)
