"""Exercise 2.1 export_orders_csv: the orders table as a CSV download, streamed while it is read."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from .._case import Failure, case
from .._endpoints import expect_ok, media_type_failure
from .._tools import MiB, peak_memory, size
from ._bodies import lines_of, text_of, truncated
from ._orders import COLUMNS, Backend, check_gate, order_row, orders_table, serve_orders

WHAT = "GET /orders.csv"
BIG_ROWS = 40_000
#: More body messages than this in one big response means rows were sent (nearly) one per chunk.
MAX_CHUNKS = 2000


def csv_header(records: Iterator[list[str]], what: str) -> None:
    """Fail unless the first record is the header row."""
    try:
        header = next(records)
    except StopIteration:
        raise Failure(
            f"{what}: the body was empty.",
            expected="the header row " + ",".join(COLUMNS) + ", then one row per order",
            got="0 bytes",
            next="write the header row first, even when there are no rows",
        ) from None
    if tuple(header) != COLUMNS:
        raise Failure(
            f"{what}: the first row is not the header.",
            expected=",".join(COLUMNS),
            got=",".join(header)[:80],
            next="write the column names first (cursor.description holds them)",
        )


def csv_rows(records: Iterator[list[str]], expected: Iterator[tuple], what: str) -> None:
    """Fail unless the records after the header are the expected rows, every value parsing back."""
    count = 0
    for record in records:
        count += 1
        want = next(expected, None)
        if want is None:
            raise Failure(
                f"{what}: more rows than the table has.",
                expected=f"{count - 1} rows after the header",
                got=f"an extra row: {','.join(record)[:60]!r}",
                next="write each row once",
            )
        if record != [str(v) for v in want]:
            kind = "values" if len(record) == len(COLUMNS) else f"{len(record)} fields instead of {len(COLUMNS)}"
            raise Failure(
                f"{what}: row {count} (order {want[0]}) does not parse back to the order's values ({kind}).",
                expected=repr([str(v) for v in want])[:150],
                got=repr(record)[:150],
                next="let csv.writer quote the values: commas, double quotes and line breaks need quoting",
            )
    rest = sum(1 for _ in expected)
    if rest:
        raise Failure(
            f"{what}: rows are missing.",
            expected=f"{count + rest} rows after the header",
            got=f"{count} rows",
            next="write every row, including the last batch",
        )


def get_csv(ctx, answer, rows: int, what: str) -> httpx.Response:
    """GET /orders.csv from a table of `rows` orders and compare every parsed record with the table."""
    server, backend = serve_orders(ctx, answer, "/orders.csv", "export_orders_csv")
    backend.use(orders_table(ctx, rows))
    try:
        with server.client.stream("GET", "/orders.csv") as response:
            expect_ok(response, what, "return the StreamingResponse")
            records = iter(csv.reader(lines_of(text_of(response.iter_raw(), what))))
            csv_header(records, what)
            csv_rows(records, (order_row(i) for i in range(1, rows + 1)), what)
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    return response


@case("2.1")
def parses_back_300_awkward_rows(export_orders_csv, ctx):
    ctx.found["csv-response"] = get_csv(ctx, export_orders_csv, 300, WHAT)
    return "300 awkward rows parse back exactly"


@case("2.1")
def gives_the_header_for_an_empty_table(export_orders_csv, ctx):
    get_csv(ctx, export_orders_csv, 0, "an empty table")
    return "an empty table gives the header"


@case("2.1")
def is_a_csv_download(export_orders_csv, ctx):
    response = ctx.found["csv-response"]
    if not response.headers.get("content-type", "").startswith("text/csv"):
        raise media_type_failure(WHAT, response, "text/csv; charset=utf-8", 'pass media_type="text/csv"')
    disposition = response.headers.get("content-disposition", "")
    kind, _, params = disposition.partition(";")
    if kind.strip().lower() != "attachment" or "filename=" not in params or ".csv" not in params:
        raise Failure(
            f"{WHAT} does not ask the browser to save a file.",
            expected='Content-Disposition: attachment; filename="orders.csv"',
            got=f"Content-Disposition: {disposition}" if disposition else "no Content-Disposition header",
            next='pass headers={"Content-Disposition": \'attachment; filename="orders.csv"\'}',
        )
    return "text/csv as an attachment"


def observed(chunks: Iterable[bytes], seen: dict[str, Any], backend: Backend) -> Iterator[bytes]:
    """Pass the body's chunks through, noting how many rows had been read when the first one arrived.

    Fails early when the app cuts the body into tiny chunks (one per row): each chunk costs a send(),
    and for a plain generator a trip to a worker thread and back, so tiny chunks make a big export crawl.
    """
    seen.setdefault("bytes", 0)
    for chunk in chunks:
        if not chunk:
            continue
        seen.setdefault("rows_at_first_byte", backend.gate.count)
        seen["bytes"] += len(chunk)
        if backend.body_messages > MAX_CHUNKS:
            raise Failure(
                f"{WHAT} sent more than {MAX_CHUNKS} chunks for {BIG_ROWS} rows: about one chunk per row.",
                expected="chunks of many rows each (a batch of about 1000 rows per yield)",
                got=f"over {MAX_CHUNKS} chunks; each one costs a send() and, from a plain generator, "
                "a trip to a worker thread and back",
                next="collect a batch of rows (fetchmany(1000)) into one string and yield that",
            )
        yield chunk


def download_big_table(ctx, export_orders_csv) -> dict[str, Any]:
    """GET /orders.csv of 40000 rows, the reading paused halfway until the client has a row, memory measured:
    what was seen (bytes, line breaks, rows read at the first byte, peak memory) and the gate."""
    server, backend = serve_orders(ctx, export_orders_csv, "/orders.csv", "export_orders_csv")
    seen: dict[str, Any] = {"newlines": 0, "gate": backend.use(orders_table(ctx, BIG_ROWS), pause_at=BIG_ROWS // 2)}
    with peak_memory() as peak:
        try:
            with server.client.stream("GET", "/orders.csv") as response:
                expect_ok(response, WHAT, "return the StreamingResponse")
                for chunk in observed(response.iter_raw(), seen, backend):
                    seen["newlines"] += chunk.count(b"\n")
                    if seen["newlines"] >= 2:  # the header and a row
                        seen["gate"].release()
        except httpx.TransportError as exc:
            raise truncated(exc) from None
    seen["peak"] = peak[0]
    return seen


@case("2.1")
def sends_rows_while_reading(export_orders_csv, ctx):
    seen = ctx.found["big"] = download_big_table(ctx, export_orders_csv)
    check_gate(seen["gate"], seen, BIG_ROWS, WHAT, "rows",
               "yield rows as you read them: fetchmany() in a loop, never fetchall() or one joined string")  # fmt: skip
    want_newlines = 1 + BIG_ROWS + sum(order_row(i)[4].count("\n") for i in range(1, BIG_ROWS + 1))
    if seen["newlines"] != want_newlines:
        raise Failure(
            f"{WHAT} of {BIG_ROWS} rows gave the wrong number of lines.",
            expected=f"{want_newlines} line breaks (header, rows, and the line breaks inside quoted notes)",
            got=f"{seen['newlines']}",
            next="write every row once, the last batch included",
        )
    return f"{BIG_ROWS} rows ({size(seen['bytes'])}) began to arrive while the database was still being read"


@case("2.1")
def keeps_memory_flat(export_orders_csv, ctx):
    peak, bound = ctx.found["big"]["peak"], 6 * MiB
    if peak > bound:
        raise Failure(
            f"exporting {BIG_ROWS} rows took {size(peak)} of memory at its peak.",
            expected=f"under {size(bound)} however many rows there are (a batch of 1000 rows takes about 1.5 MiB)",
            got=f"{size(peak)}: something keeps many rows at once (a big batch, a list, a StringIO never emptied)",
            next="yield each batch as soon as it is written, then empty the StringIO: seek(0) and truncate()",
        )
    return f"peak memory under {size(bound)}."
