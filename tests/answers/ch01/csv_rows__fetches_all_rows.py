"""fetchall() first: every row in memory at once."""

import csv
import io

EXERCISE = "1.3"
CASE = "keeps_memory_flat"
MESSAGE = ["streaming 30000 rows took", "under 1 MiB", "fetchall()"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    rows = cursor.fetchall()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [[d[0] for d in cursor.description]] + rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
