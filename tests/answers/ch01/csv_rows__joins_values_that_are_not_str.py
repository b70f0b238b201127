"""Joins the row's values, which are not all str: the TypeError points at the learner's line."""

EXERCISE = "1.3"
VERDICT = "raised"
CASE = "reads_back_the_tricky_table"
MESSAGE = [
    "✗ 1.3 csv_rows raised TypeError",
    'yield (",".join(row) + "\\n").encode("utf-8")',
]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    for row in cursor:
        yield (",".join(row) + "\n").encode("utf-8")
