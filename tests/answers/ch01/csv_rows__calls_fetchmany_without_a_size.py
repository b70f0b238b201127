"""Loops over cursor.fetchmany(), which without a size gives cursor.arraysize rows: one."""

import csv
import io

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["the output has 1 rows; the table has 8", "row id=2 is missing"]


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
    for row in cursor.fetchmany():
        yield line(row)
