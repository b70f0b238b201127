"""Joins the fields with commas by hand: nothing is quoted."""

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["'Smith, John' needs quoting", "csv.writer"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    yield (",".join(d[0] for d in cursor.description) + "\r\n").encode("utf-8")
    for row in cursor:
        yield (",".join("" if v is None else str(v) for v in row) + "\r\n").encode("utf-8")
