"""Exercise 1.3 csv_rows: a generator of the CSV lines of an SQLite query, one UTF-8 line per item, that holds
one row at a time."""

from __future__ import annotations

import contextlib
import csv
import io
import sqlite3
from typing import Any

from .._case import Failure, case
from .._tools import MiB, peak_memory, size

ORDERS_COLUMNS = ["id", "customer", "note", "amount"]
ORDERS = [
    (1, "Ada Lovelace", "first order", 12.5),
    (2, "Smith, John", "a comma in the name", 3.0),
    (3, 'Dwayne "The Rock" Johnson', "double quotes", 99.99),
    (4, "Grace Hopper", "line one\nline two", 7.25),
    (5, "Zoë Ünal", "日本語 ✓ 5 €", 0.5),
    (6, "Alan Turing", None, None),
    (7, "", "an empty name", 1.0),
    (8, "Edsger Dijkstra", 'ends with a quote"', 42.0),
]
BIG_ROWS = 30_000


def shop(ctx) -> contextlib.closing:
    """A connection to the check's shop database (the table `orders` holds ORDERS), closed after the `with`."""
    path = ctx.folder / "shop.db"
    if not path.exists():
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, note TEXT, amount REAL)")
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
            conn.commit()
    return contextlib.closing(sqlite3.connect(path))


def csv_fields(row: tuple) -> list[str]:
    """What a CSV reader gives back for a row written by csv.writer: NULL as '', the rest as str()."""
    return ["" if value is None else str(value) for value in row]


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def short(fields: list[str]) -> str:
    return "[" + ", ".join(repr(f) if len(f) <= 32 else repr(f[:29]) + "…" for f in fields) + "]"


def take_lines(lines: Any, limit: int) -> list[bytes]:
    """Collect at most `limit` items, each of them non-empty bytes."""
    got: list[bytes] = []
    for line in lines:
        if isinstance(line, str):
            raise Failure(
                f"csv_rows yielded a str, not bytes (line {len(got) + 1}).",
                expected="UTF-8 encoded bytes, what a StreamingResponse sends as is",
                got=f"str: {line!r:.40}",
                next='encode each line: line.encode("utf-8")',
            )
        if not isinstance(line, (bytes, bytearray, memoryview)):
            raise Failure(
                f"csv_rows yielded a {type(line).__name__}, not bytes (line {len(got) + 1}).",
                expected="one CSV line as UTF-8 bytes per item",
                got=f"{type(line).__name__}: {line!r:.40}",
                next="write the row with csv.writer into an io.StringIO and yield its text, encoded",
            )
        if len(line) == 0:
            raise Failure(
                f"csv_rows yielded an empty item b'' (item {len(got) + 1}).",
                expected="one CSV line per item, never an empty one",
                got="b''",
                next="yield what writerow() wrote for each row",
            )
        got.append(bytes(line))
        if len(got) > limit:
            raise Failure(
                f"csv_rows kept yielding after {limit} lines, more than the query returns.",
                expected=f"at most {limit} lines",
                got=f"more than {limit} items",
                next="yield one line for the header and one per row, then stop",
            )
    return got


def decode_lines(lines: list[bytes]) -> list[str]:
    """Each item as text: valid UTF-8, ending with a line break."""
    texts = []
    for number, line in enumerate(lines, 1):
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise Failure(
                f"line {number} is not valid UTF-8.",
                expected="every line encoded with UTF-8 (the names hold ë, Ü, 日本語, €)",
                got=f"{line[:40]!r}",
                next='encode with line.encode("utf-8")',
            ) from None
    for number, text in enumerate(texts, 1):
        if not text.endswith("\n"):
            raise Failure(
                f"item {number} does not end with a line break, so it runs into the next line.",
                expected="each line ending with \\r\\n, as csv.writer writes it",
                got=f"{text[-30:]!r} at the end",
                next="yield what writerow() wrote, line break included (no strip())",
            )
    return texts


def expect_header(records: list[list[str]]) -> None:
    if records and records[0] == ORDERS_COLUMNS:
        return
    first = records[0] if records else []
    if first and first[0].startswith("\ufeff"):
        got, advice = f"{short(first)}: a byte order mark before 'id'", 'encode with "utf-8", not "utf-8-sig"'
    elif first == csv_fields(ORDERS[0]):
        got, advice = f"the first row {short(first)} and no header", "yield the column names first"
    else:
        got, advice = short(first), "take the names from cursor.description: [d[0] for d in cursor.description]"
    raise Failure(
        "the first line is not the header.",
        expected=f"the column names {short(ORDERS_COLUMNS)} (cursor.description), before any row",
        got=got,
        next=advice,
    )


def expect_row(body: list[list[str]], index: int) -> None:
    """Row `index` of ORDERS, read back: the same fields, or a failure that says what went wrong with them."""
    row = ORDERS[index]
    want = csv_fields(row)
    got = body[index] if index < len(body) else None
    if got == want:
        return
    if got is None:
        raise Failure(
            f"the output has {len(body)} rows; the table has {len(ORDERS)}.",
            expected=f"{len(ORDERS)} rows after the header, in the query's order",
            got=f"{len(body)} rows; row id={row[0]} is missing",
            next="yield a line for every row the cursor gives",
        )
    if got in [ORDERS_COLUMNS] + [csv_fields(r) for r in ORDERS[:index]]:
        raise Failure(
            f"where row id={row[0]} should be, an earlier line came again.",
            expected=short(want),
            got=f"{short(got)}, already written before",
            next="yield only the new line: empty the StringIO (seek(0) and truncate()) before each writerow()",
        )
    expect_values_written_by_csv_writer(row, got)


def expect_values_written_by_csv_writer(row: tuple, got: list[str]) -> None:
    """Fail for a row that came back with other fields: NULL as None, values unquoted, or anything else."""
    want = csv_fields(row)
    nulls = [i for i, value in enumerate(row) if value is None]
    special = [value for value in row if isinstance(value, str) and any(c in value for c in ',"\n')]
    if nulls and all(got[i:i + 1] == ["None"] for i in nulls):
        raise Failure(
            f"row id={row[0]} has NULL values and they came out as the word None.",
            expected=f"{short(want)}: NULL as an empty field",
            got=short(got),
            next="let csv.writer write the row: it writes None as an empty field",
        )
    if special:
        raise Failure(
            f"row id={row[0]} did not survive a CSV reader: {special[0]!r} needs quoting.",
            expected=f"{short(want)} ({len(want)} fields)",
            got=f"{short(got)} ({len(got)} fields)",
            next="write each row with csv.writer, which quotes values holding commas, double quotes or newlines; "
            "','.join() and hand-made quotes do not",
        )
    raise Failure(
        f"row id={row[0]} came back different.",
        expected=short(want),
        got=short(got),
        next="write each row with csv.writer, as the cursor gives it",
    )


def expect_one_line_per_item(lines: list[bytes], texts: list[str], body: list[list[str]]) -> None:
    if len(body) > len(ORDERS):
        raise Failure(
            f"the output has {len(body)} rows; the table has {len(ORDERS)}.",
            expected=f"the header and {len(ORDERS)} rows",
            got=f"{len(body) - len(ORDERS)} rows more, starting with {short(body[len(ORDERS)])}",
            next="yield each row once: empty the StringIO (seek(0) and truncate()) before writing the next row",
        )
    for number, text in enumerate(texts, 1):
        parsed = parse_csv(text)
        if len(parsed) != 1:
            raise Failure(
                f"item {number} holds {len(parsed)} CSV lines.",
                expected="one line per item, ending with a line break: the header, then one item per row",
                got=f"{len(lines)} item{'s' if len(lines) != 1 else ''} for {len(ORDERS) + 1} lines",
                next="yield right after each writerow(), and empty the StringIO before the next one",
            )


@case("1.3")
def runs_nothing_when_called(csv_rows, ctx):
    with shop(ctx) as conn:
        try:
            pending = csv_rows(conn, "SELECT * FROM no_such_table")
        except sqlite3.Error:
            raise Failure(
                "calling csv_rows ran the query at once, before anything asked for a line.",
                expected="nothing run before the first next()",
                got="the query's error raised by the call itself",
                next="make it a generator function: `yield` each line, so its body waits for next()",
            ) from None
        if not hasattr(pending, "__next__"):
            raise Failure(
                f"csv_rows returned a {type(pending).__name__}, not a generator.",
                expected="a generator, which makes one line each time it is asked",
                got=f"a {type(pending).__name__}, built before the first line was asked for",
                next="`yield` each line instead of collecting them",
            )
        if hasattr(pending, "close"):
            pending.close()
    return "nothing run before next()"


@case("1.3")
def reads_back_the_tricky_table(csv_rows, ctx):
    """The default query on a table of commas, quotes, a newline, non-ASCII and NULL, read back by csv.reader."""
    with shop(ctx) as conn:
        lines = take_lines(csv_rows(conn), limit=len(ORDERS) + 3)
    texts = decode_lines(lines)
    records = parse_csv("".join(texts))
    expect_header(records)
    for index in range(len(ORDERS)):
        expect_row(records[1:], index)
    expect_one_line_per_item(lines, texts, records[1:])
    return (
        f"header and {len(ORDERS)} rows read back by csv.reader (commas, quotes, a newline, non-ASCII, NULL); "
        "one UTF-8 line per item"
    )


@case("1.3")
def runs_the_query_it_is_given(csv_rows, ctx):
    with shop(ctx) as conn:
        one = take_lines(csv_rows(conn, "SELECT customer FROM orders WHERE id = 2"), limit=3)
    if parse_csv(b"".join(one).decode("utf-8")) != [["customer"], ["Smith, John"]]:
        raise Failure(
            "with another query, the output did not follow it.",
            expected="the header ['customer'] and one row ['Smith, John'] for SELECT customer ... WHERE id = 2",
            got=short([line.decode("utf-8", "replace") for line in one]),
            next="run the `query` argument, not a query of your own",
        )


@case("1.3")
def keeps_memory_flat(csv_rows, ctx):
    """A bigger table, built by SQLite itself: the lines must come while the rows are fetched."""
    bound, count = 1 * MiB, 0
    with shop(ctx) as conn:
        conn.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, customer TEXT, amount REAL)")
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO big SELECT i, 'customer, number ' || i, i * 0.25 FROM n",
            (BIG_ROWS,),
        )
        with peak_memory() as peak:
            for _ in csv_rows(conn, "SELECT * FROM big ORDER BY id"):
                count += 1
                if count > BIG_ROWS + 1:
                    break
    ctx.found["big rows"] = count
    if peak[0] > bound:
        raise Failure(
            f"streaming {BIG_ROWS} rows took {size(peak[0])} of memory at its peak.",
            expected=f"under {size(bound)}, however many rows the query returns",
            got=f"{size(peak[0])}: the rows were all in memory at once",
            next="iterate over the cursor (`for row in cursor:`) instead of fetchall() or list()",
        )
    return f"{BIG_ROWS} rows streamed with peak memory under {size(bound)}."


@case("1.3")
def gives_a_line_per_row_of_a_big_table(csv_rows, ctx):
    count = ctx.found["big rows"]
    if count != BIG_ROWS + 1:
        raise Failure(
            f"{BIG_ROWS} rows gave {count} lines.",
            expected=f"{BIG_ROWS + 1} lines: the header and one per row",
            got=f"{count} lines",
            next="yield one line for the header and one per row",
        )
