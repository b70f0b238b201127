"""Wraps every field in double quotes by hand, without doubling the quotes inside."""

EXERCISE = "1.3"
CASE = "reads_back_the_tricky_table"
MESSAGE = ["'Dwayne \"The Rock\" Johnson' needs quoting"]


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    cursor = conn.execute(query)
    yield (",".join(d[0] for d in cursor.description) + "\r\n").encode("utf-8")
    for row in cursor:
        yield (",".join(f'"{"" if v is None else v}"' for v in row) + "\r\n").encode("utf-8")
