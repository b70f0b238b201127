"""Checks and hints for notebooks/02_streaming_response.ipynb (exercises/ch02_streaming_response.py).

The endpoints are mounted on a real FastAPI app served by uvicorn and fetched over HTTP.  Their database
is a small SQLite file each check makes itself, full of values that trip naive code.  The check reaches
into it through `orders_connection`, which it overrides, so that it can watch -- and pause -- the reading:
the `orders` table the endpoint sees is a view that calls back into the check for every row it reads.
Pausing the database halfway tells a stream from a buffer without relying on timings: a streaming
endpoint has already sent rows when the pause starts; a buffering one has sent nothing.
"""

from __future__ import annotations

import codecs
import csv
import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ._case import Failure, case
from ._endpoints import PAUSE, expect_ok, find_dependency, is_generator, media_type_failure, streaming_route
from ._tools import MiB, peak_memory, size, workdir

MODULE = "ch02_streaming_response"
COLUMNS = ("id", "created", "customer", "item", "notes", "quantity", "price_cents", "status")
STATUSES = ("paid", "shipped", "delivered", "cancelled", "refunded")

# -- a small orders database with awkward values ------------------------------------------------------

_CUSTOMERS = ["Ada Lovelace", "Grace Hopper", "Miles O'Brien", "Zoë Núñez", "Łukasz Müller", "Yuki Tanaka",
              "Smith, John", 'Dwayne "The Rock" J.', " Leading Space", "Trailing Space "]  # fmt: skip
_ITEMS = ["USB-C cable", "Notebook, A5, dotted", 'Sticker "Stream, don\'t buffer"', 'Monitor arm 32"',
          "Café au lait mug", "Größe L T-shirt", "Keyboard"]  # fmt: skip
_NOTES = ["", "", "", "", "", "leave at the door", "gift wrap, please", 'customer said "asap"',
          "ring twice\nthen wait", "windows line\r\nbreak", "naïve café — résumé", "日本語のメモ",
          "tabs\tinside", '"', ",", "=SUM(A1:A9)", "   "]  # fmt: skip


def order_row(i: int) -> tuple:
    """Order number `i` (1-based) of the check's database: the same on every run, tricky values included."""
    quantity = (1, 1, 2, 3, 10)[i % 5]
    return (
        i,
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735689600 + 37 * i)),
        _CUSTOMERS[i % len(_CUSTOMERS)],
        _ITEMS[(i * 3) % len(_ITEMS)],
        _NOTES[(i * 7) % len(_NOTES)],
        quantity,
        quantity * (199 + (i * 7919) % 30_000),
        STATUSES[(i * i + 3 * i) % 7 % len(STATUSES)],
    )


def make_orders(path: Path, rows: int) -> Path:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, created TEXT NOT NULL, customer TEXT NOT NULL, "
            "item TEXT NOT NULL, notes TEXT NOT NULL, quantity INTEGER NOT NULL, price_cents INTEGER NOT NULL, "
            "status TEXT NOT NULL)"
        )
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (order_row(i) for i in range(1, rows + 1)))
    conn.close()
    return path


def order_json(row: tuple) -> dict[str, Any]:
    return dict(zip(COLUMNS, row))


class RowGate:
    """Watches the rows the database hands out; at row `pause_at` it waits until the client saw data.

    The view calls `read(id)` for every 100th row (a call per row would slow everything the check
    measures), so `count` is the id of the last row read: in id order, the number of rows read so far.
    `release()` is called by the client side as soon as it has received a first row.  If that has not
    happened when the database reaches `pause_at`, the reading waits up to PAUSE seconds and `waited`
    says so: nothing had reached the client although `pause_at` rows had been read.
    """

    def __init__(self, pause_at: int | None = None) -> None:
        self.pause_at = pause_at
        self.count = 0
        self.waited = False
        self._released = threading.Event()

    def read(self, row_id: int) -> int:
        self.count = max(self.count, row_id)
        if self.pause_at is not None and row_id >= self.pause_at and not self._released.is_set():
            self.waited = not self._released.wait(PAUSE)
            self._released.set()  # pause once
        return 1

    def release(self) -> None:
        self._released.set()


class Backend:
    """What the check's `orders_connection` opens for the next request: which database, watched by which gate."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.gate = RowGate()
        self.body_messages = 0  # http.response.body messages the app sent in the current response

    def use(self, db_path: Path, pause_at: int | None = None) -> RowGate:
        self.db_path, self.gate, self.body_messages = db_path, RowGate(pause_at), 0
        return self.gate

    def connection(self):
        gate = self.gate
        conn = sqlite3.connect(self.db_path, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.create_function("course_row_read", 1, gate.read)
        conn.execute(
            "CREATE TEMP VIEW orders AS SELECT * FROM main.orders WHERE id % 100 != 0 OR course_row_read(id)"
        )
        try:
            yield conn
        finally:
            conn.close()

    def counting(self, app: Any) -> Any:
        """`app`, counting the body messages of each response (how finely it was cut into chunks)."""

        async def counted(scope, receive, send):
            async def send_counted(message):
                if message["type"] == "http.response.body" and message.get("body"):
                    self.body_messages += 1
                await send(message)

            await app(scope, receive, send_counted)

        return counted


def serve_orders(ctx, answer: Callable[..., Any], path: str, backend: Backend, what: str, **route: Any):
    """Serve the learner's endpoint at `path` on a FastAPI app whose database is `backend`'s."""
    depends_on = find_dependency(answer, "orders_connection", what, "db: sqlite3.Connection = Depends(orders_connection)")
    app = FastAPI()
    app.add_api_route(path, answer, methods=["GET"], **streaming_route(answer), **route)
    app.dependency_overrides[depends_on] = backend.connection
    return ctx.serve(backend.counting(app))


#: More body messages than this in one big response means rows were sent (nearly) one per chunk.
MAX_CHUNKS = 2000


def observed(chunks: Iterable[bytes], seen: dict[str, Any], backend: Backend, what: str, rows: int) -> Iterator[bytes]:
    """Pass the body's chunks through, noting how many rows had been read when the first one arrived.

    Fails early when the app cuts the body into tiny chunks (one per row): each chunk costs a send(),
    and for a plain generator a trip to a worker thread and back, so tiny chunks make a big export crawl.
    """
    seen.setdefault("chunks", 0)
    seen.setdefault("bytes", 0)
    for chunk in chunks:
        if not chunk:
            continue
        seen.setdefault("rows_at_first_byte", backend.gate.count)
        seen["chunks"] += 1
        seen["bytes"] += len(chunk)
        if backend.body_messages > MAX_CHUNKS:
            raise Failure(
                f"{what} sent more than {MAX_CHUNKS} chunks for {rows} rows: about one chunk per row.",
                expected="chunks of many rows each (a batch of about 1000 rows per yield)",
                got=f"over {MAX_CHUNKS} chunks; each one costs a send() and, from a plain generator, "
                "a trip to a worker thread and back",
                next="collect a batch of rows (fetchmany(1000)) into one string and yield that",
            )
        yield chunk


def first_byte(chunks: Iterable[bytes], seen: dict[str, Any], gate: RowGate) -> Iterator[bytes]:
    """Pass the chunks through, noting how many rows had been read when the first byte of body arrived."""
    for chunk in chunks:
        if chunk:
            seen.setdefault("rows_at_first_byte", gate.count)
            yield chunk


def text_of(chunks: Iterable[bytes], what: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            if text := decoder.decode(chunk):
                yield text
        if text := decoder.decode(b"", final=True):
            yield text
    except UnicodeDecodeError as exc:
        raise Failure(
            f"{what} is not valid UTF-8 (byte {exc.start} of a chunk).",
            expected="UTF-8 text",
            got=f"{exc.reason}",
            next="yield str (Starlette encodes it as UTF-8) or bytes from .encode()",
        ) from None


def lines_of(texts: Iterable[str]) -> Iterator[str]:
    """Lines with their "\n" endings, joined across chunk boundaries (what csv.reader wants)."""
    pending = ""
    for text in texts:
        *complete, pending = (pending + text).split("\n")
        for line in complete:
            yield line + "\n"
    if pending:
        yield pending


def truncated(exc: BaseException) -> Failure:
    return Failure(
        "the response broke off before its end.",
        expected="a complete body ending normally",
        got=f"{type(exc).__name__} while reading the body: the status was already sent, then the stream failed",
        next="look at what your generator raises; an error after the first chunk can only cut the stream",
    )


def check_gate(gate: RowGate, seen: dict[str, Any], total: int, what: str, unit: str, advice: str) -> None:
    """Fail unless the first rows reached the client while the database was still being read."""
    at_first = seen.get("rows_at_first_byte", gate.count)
    if gate.waited and at_first >= total:
        raise Failure(
            f"the whole body was built before the first byte was sent: no byte reached the client until "
            f"all {total} rows had been read from the database.",
            expected=f"the first {unit} sent while the database is still being read",
            got=f"nothing while the reading was paused at row {gate.pause_at} of {total}; then the whole body at once",
            next=advice,
        )
    if gate.waited:
        raise Failure(
            f"no {unit[:-1] if unit.endswith('s') else unit} reached the client while {gate.pause_at} of "
            f"{total} rows had been read from the database.",
            expected=f"{unit} sent as they are read, a batch at a time",
            got=f"nothing past the first bytes while the reading was paused at row {gate.pause_at}",
            next=advice,
        )


# -- 2.1 CSV export -----------------------------------------------------------------------------------


def csv_records(records: Iterable[list[str]], expected: Iterator[tuple], what: str) -> int:
    """Compare parsed CSV records with the header row and the expected rows."""
    records = iter(records)
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
    return count


def get_csv(server, backend: Backend, db: Path, rows: int, what: str) -> httpx.Response:
    """GET /orders.csv from `db` and compare every parsed record with the table."""
    backend.use(db)
    try:
        with server.client.stream("GET", "/orders.csv") as response:
            expect_ok(response, what, "return the StreamingResponse")
            reader = csv.reader(lines_of(text_of(response.iter_raw(), what)))
            csv_records(reader, (order_row(i) for i in range(1, rows + 1)), what)
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    return response


@case("2.1")
def check_export_orders_csv(export_orders_csv, ctx) -> str:
    what = "GET /orders.csv"
    big_rows, bound = 40_000, 6 * MiB
    with workdir() as folder:
        small = make_orders(folder / "small.sqlite3", 300)
        empty = make_orders(folder / "empty.sqlite3", 0)
        big = make_orders(folder / "big.sqlite3", big_rows)
        backend = Backend(small)
        server = serve_orders(ctx, export_orders_csv, "/orders.csv", backend, "export_orders_csv")

        # The values: every field parses back, quoting included; the headers say "save me as a file".
        response = get_csv(server, backend, small, 300, what)
        if not response.headers.get("content-type", "").startswith("text/csv"):
            raise media_type_failure(what, response, "text/csv; charset=utf-8", 'pass media_type="text/csv"')
        disposition = response.headers.get("content-disposition", "")
        kind, _, params = disposition.partition(";")
        if kind.strip().lower() != "attachment" or "filename=" not in params or ".csv" not in params:
            raise Failure(
                f"{what} does not ask the browser to save a file.",
                expected='Content-Disposition: attachment; filename="orders.csv"',
                got=f"Content-Disposition: {disposition}" if disposition else "no Content-Disposition header",
                next='pass headers={"Content-Disposition": \'attachment; filename="orders.csv"\'}',
            )
        get_csv(server, backend, empty, 0, "an empty table")

        # 40000 rows: the database pauses halfway until the client has a row; memory is measured meanwhile.
        gate = backend.use(big, pause_at=big_rows // 2)
        seen: dict[str, Any] = {}
        newlines = 0
        want_newlines = 1 + big_rows + sum(order_row(i)[4].count("\n") for i in range(1, big_rows + 1))
        with peak_memory() as peak:
            try:
                with server.client.stream("GET", "/orders.csv") as response:
                    expect_ok(response, what, "return the StreamingResponse")
                    for chunk in observed(response.iter_raw(), seen, backend, what, big_rows):
                        newlines += chunk.count(b"\n")
                        if newlines >= 2:  # the header and a row
                            gate.release()
            except httpx.TransportError as exc:
                raise truncated(exc) from None
        check_gate(gate, seen, big_rows, what, "rows",
                   "yield rows as you read them: fetchmany() in a loop, never fetchall() or one joined string")
        if newlines != want_newlines:
            raise Failure(
                f"{what} of {big_rows} rows gave the wrong number of lines.",
                expected=f"{want_newlines} line breaks (header, rows, and the line breaks inside quoted notes)",
                got=f"{newlines}",
                next="write every row once, the last batch included",
            )
        if peak[0] > bound:
            raise Failure(
                f"exporting {big_rows} rows took {size(peak[0])} of memory at its peak.",
                expected=f"under {size(bound)} however many rows there are (a batch of 1000 rows takes about 1.5 MiB)",
                got=f"{size(peak[0])}: something keeps many rows at once (a big batch, a list, a StringIO never emptied)",
                next="yield each batch as soon as it is written, then empty the StringIO: seek(0) and truncate()",
            )
    return (
        f"300 awkward rows parse back exactly; an empty table gives the header; text/csv as an attachment; "
        f"{big_rows} rows ({size(seen['bytes'])}) began to arrive while the database was still being read; "
        f"peak memory under {size(bound)}."
    )


# -- 2.2 JSON Lines -----------------------------------------------------------------------------------


def expected_orders(rows: int, status: str | None = None, min_price_cents: int = 0, limit: int | None = None):
    found = [order_json(order_row(i)) for i in range(1, rows + 1)]
    found = [o for o in found if o["price_cents"] >= min_price_cents and (status is None or o["status"] == status)]
    return found[:limit] if limit is not None else found


def jsonl_objects(texts: Iterable[str], what: str) -> Iterator[dict[str, Any]]:
    """Parse a JSON Lines body as it arrives: one JSON object per line, each line ending with a line break."""
    number = 0
    for line in lines_of(texts):
        number += 1
        if not line.endswith("\n"):
            raise Failure(
                f"{what}: the last line has no line break at its end.",
                expected="every line, the last one too, ending with \\n",
                got=repr(line[-40:]),
                next="end each line with \\n",
            )
        try:
            value = json.loads(line)
        except ValueError:
            raise Failure(
                f"{what}: line {number} is not JSON.",
                expected="one JSON object per line",
                got=repr(line[:80]),
                next="yield Order objects and let FastAPI serialise them",
            ) from None
        if isinstance(value, str):
            raise Failure(
                f"{what}: line {number} is a JSON string holding JSON, serialised twice.",
                expected='{"id": ..., "created": ..., ...} on each line',
                got=repr(line[:80]),
                next="yield the Order itself: FastAPI serialises each yielded item, so JSON text gets quoted again",
            )
        if not isinstance(value, dict):
            raise Failure(
                f"{what}: line {number} is a JSON {type(value).__name__}, not an object.",
                expected="an object with the Order fields: " + ", ".join(COLUMNS),
                got=repr(line[:80]),
                next="yield Order(**row) (or annotate the function -> Iterator[Order]); a row alone is a tuple",
            )
        yield value


def compare_orders(got: list[dict[str, Any]], want: list[dict[str, Any]], what: str, advice: str) -> None:
    for index, (g, w) in enumerate(zip(got, want)):
        if set(g) != set(w):
            raise Failure(
                f"{what}: item {index + 1} does not have the Order fields.",
                expected=", ".join(COLUMNS),
                got=", ".join(map(str, g))[:100],
                next="serialise Order objects",
            )
        if g != w:
            field = next(k for k in COLUMNS if g.get(k) != w.get(k))
            raise Failure(
                f"{what}: item {index + 1} differs from the table in its {field!r}.",
                expected=f"{w['id']} with {field}={w[field]!r}",
                got=f"{g.get('id')} with {field}={g.get(field)!r}",
                next=advice,
            )
    if len(got) != len(want):
        raise Failure(
            f"{what} gave {len(got)} orders.",
            expected=f"{len(want)} orders",
            got=f"{len(got)}" + (f", the first extra one is order {got[len(want)]['id']}" if len(got) > len(want) else ""),
            next=advice,
        )


@case("2.2")
def check_orders_jsonl(orders_jsonl, ctx) -> str:
    what = "GET /orders.jsonl"
    big_rows = 2_000
    with workdir() as folder:
        small = make_orders(folder / "small.sqlite3", 300)
        big = make_orders(folder / "big.sqlite3", big_rows)
        backend = Backend(small)
        server = serve_orders(ctx, orders_jsonl, "/orders.jsonl", backend, "orders_jsonl")

        def get(query: str) -> list[dict[str, Any]]:
            backend.use(small)
            try:
                with server.client.stream("GET", "/orders.jsonl" + query) as response:
                    expect_ok(response, what + query, "yield the orders; let the typed parameters do the checking")
                    media = response.headers.get("content-type", "")
                    if not media.startswith("application/jsonl"):
                        raise media_type_failure(
                            what + query, response, "application/jsonl (FastAPI's choice for a path operation that yields)",
                            "`yield` each Order; returning a list sends one JSON document (application/json)",
                        )
                    return list(jsonl_objects(text_of(response.iter_raw(), what), what + query))
            except httpx.TransportError as exc:
                raise truncated(exc) from None

        cases = [("", {}), ("?status=refunded&min_price_cents=5000", {"status": "refunded", "min_price_cents": 5000}),
                 ("?limit=3", {"limit": 3}), ("?status=paid&limit=2", {"status": "paid", "limit": 2}),
                 ("?min_price_cents=100000000", {"min_price_cents": 100_000_000})]  # fmt: skip
        for query, filters in cases:
            compare_orders(get(query), expected_orders(300, **filters), what + query,
                           "filter in SQL: price_cents >= ?, status = ? when given, ORDER BY id, LIMIT ? when given")

        # Bad parameters: 422 from FastAPI's validation, before a row is read or a byte of body is sent.
        for query in ("?status=lost", "?min_price_cents=-1", "?limit=0", "?limit=many"):
            gate = backend.use(small)
            try:
                response = server.client.get("/orders.jsonl" + query)
            except httpx.TransportError as exc:
                raise Failure(
                    f"{what}{query} answered 200 and then the stream broke.",
                    expected="422 Unprocessable Content, before the stream starts",
                    got=f"a 200 whose body ended with {type(exc).__name__}: the status line had already gone out",
                    next="declare the parameters with their types and limits (as given) so FastAPI checks them first; "
                    "an exception inside a generator comes after the 200",
                ) from None
            if response.status_code != 422 or gate.count:
                raise Failure(
                    f"{what}{query} answered {response.status_code}.",
                    expected="422 Unprocessable Content, before the stream starts",
                    got=f"{response.status_code} {response.text[:60]!r}",
                    next="keep the parameters' types and limits as given (Status, Query(ge=...)): FastAPI checks "
                    "them before it calls the function; code inside a generator runs after the 200 is sent",
                )

        # 2000 rows: the reading pauses halfway until the client has a line.
        gate = backend.use(big, pause_at=big_rows // 2)
        seen: dict[str, Any] = {}
        count = 0
        try:
            with server.client.stream("GET", "/orders.jsonl") as response:
                expect_ok(response, what, "yield the orders")
                for _ in jsonl_objects(text_of(first_byte(response.iter_raw(), seen, gate), what), what):
                    count += 1
                    gate.release()
        except httpx.TransportError as exc:
            raise truncated(exc) from None
        check_gate(gate, seen, big_rows, what, "lines", "yield each Order as its row is read; no fetchall()")
        if count != big_rows:
            raise Failure(f"{what} of {big_rows} rows gave {count} lines.", expected=f"{big_rows}", got=f"{count}",
                          next="yield every row")  # fmt: skip
    return (
        "application/jsonl, one Order per line, for 5 filter combinations on 300 awkward rows; "
        "4 bad parameters answered 422 before any row was read; "
        f"{big_rows} rows began to arrive while the database was still being read."
    )


# -- 2.3 streaming JSON array -------------------------------------------------------------------------


def json_array_items(texts: Iterable[str], what: str) -> Iterator[Any]:
    """Parse a JSON array as it arrives and yield each element once it is complete."""
    decoder = json.JSONDecoder()
    texts = iter(texts)
    buffer, position, ended = "", 0, False

    def more() -> bool:
        nonlocal buffer, position, ended
        text = next(texts, None)
        if text is None:
            ended = True
            return False
        buffer = buffer[position:] + text
        position = 0
        return True

    def skip_space() -> str:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not more():
                return ""

    def broken(expected: str) -> Failure:
        return Failure(
            f"{what} is not valid JSON: {expected} expected.",
            expected="[ then elements separated by commas, then ] -- no comma before the first or after the last",
            got=repr(buffer[max(0, position - 30):position + 30])[:100] if buffer else "an empty body",
            next="write '[' first, ',' before every element but the first, ']' at the end, even with no elements",
        )

    if skip_space() != "[":
        raise broken("'['")
    position += 1
    first = True
    while True:
        char = skip_space()
        if char == "]":
            position += 1
            break
        if not first:
            if char != ",":
                raise broken("',' or ']'")
            position += 1
            skip_space()
        while True:
            try:
                item, end = decoder.raw_decode(buffer, position)
            except ValueError:
                if more():
                    continue
                raise broken("an element") from None
            if end == len(buffer) and not ended and isinstance(item, (int, float)):
                if more():  # a number cut by a chunk boundary
                    continue
            position = end
            break
        first = False
        yield item
    if skip_space() != "":
        raise broken("nothing after ']'")


@case("2.3")
def check_orders_json_array(orders_json_array, ctx) -> str:
    what = "GET /orders.json"
    big_rows = 3_000
    with workdir() as folder:
        small = make_orders(folder / "small.sqlite3", 300)
        big = make_orders(folder / "big.sqlite3", big_rows)
        backend = Backend(small)
        server = serve_orders(ctx, orders_json_array, "/orders.json", backend, "orders_json_array")

        for limit in (0, 1, 2, 7, 300):
            backend.use(small)
            query = f"?limit={limit}"
            try:
                response = server.client.get("/orders.json" + query)
            except httpx.TransportError as exc:
                raise truncated(exc) from None
            expect_ok(response, what + query, "return the StreamingResponse")
            if not response.headers.get("content-type", "").startswith("application/json"):
                raise media_type_failure(what + query, response, "application/json",
                                         'pass media_type="application/json"')  # fmt: skip
            items = list(json_array_items([response.text], what + query))
            try:
                whole = json.loads(response.text)
            except ValueError:  # the incremental parser accepted what json.loads refuses
                whole = None
            if whole != items:
                raise Failure(f"{what}{query} does not parse with json.loads().", expected="a JSON array",
                              got=repr(response.text[:80]), next="yield '[', the elements with commas, then ']'")  # fmt: skip
            bad = next((i for i, item in enumerate(items) if not isinstance(item, dict)), None)
            if bad is not None:
                raise Failure(
                    f"{what}{query}: element {bad + 1} is a JSON {type(items[bad]).__name__}, not an object.",
                    expected="an object with the Order fields: " + ", ".join(COLUMNS),
                    got=repr(items[bad])[:80],
                    next="Order(**row).model_dump_json() gives the object for a row",
                )
            compare_orders(items, expected_orders(300, limit=limit), what + query,
                           "SELECT * FROM orders ORDER BY id LIMIT ?, each row as Order(**row).model_dump_json()")

        # 3000 rows: parsed element by element as the body arrives; the reading pauses halfway.
        gate = backend.use(big, pause_at=big_rows // 2)
        seen: dict[str, Any] = {}
        count = 0
        try:
            with server.client.stream("GET", f"/orders.json?limit={big_rows}") as response:
                expect_ok(response, what, "return the StreamingResponse")
                for _ in json_array_items(text_of(first_byte(response.iter_raw(), seen, gate), what), what):
                    count += 1
                    gate.release()
        except httpx.TransportError as exc:
            raise truncated(exc) from None
        check_gate(gate, seen, big_rows, what, "elements",
                   "yield the elements as the rows are read: '[' first, then each batch, then ']'")
        if count != big_rows:
            raise Failure(f"{what}?limit={big_rows} gave {count} elements.", expected=f"{big_rows}",
                          got=f"{count}", next="yield every row")  # fmt: skip
    return (
        "valid JSON (json.loads and an incremental parser agree) for 0, 1, 2, 7 and 300 orders, each an Order; "
        f"{big_rows} elements began to arrive while the database was still being read."
    )


# -- 2.4 Server-Sent Events ---------------------------------------------------------------------------


class Steps:
    """The check's `run_step`: records which steps ran; step `pause_at` waits until the client has the event before."""

    def __init__(self, pause_at: int | None = None) -> None:
        self.ran: list[int] = []
        self.pause_at = pause_at
        self.received = 0  # events the client has parsed so far
        self.waited = False

    async def __call__(self, step: int) -> None:
        import asyncio

        self.ran.append(step)
        if step == self.pause_at:
            deadline = time.monotonic() + PAUSE
            while self.received < step - 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            self.waited = self.received < step - 1


def sse_events(texts: Iterable[str], what: str) -> Iterator[dict[str, str]]:
    """Parse text/event-stream as a browser does: fields up to a blank line make one event."""
    event: dict[str, str] = {}
    data: list[str] = []
    line = ""
    for line in lines_of(texts):
        line = line.rstrip("\n").removesuffix("\r")
        if line == "":
            if data or event:
                if data:
                    event["data"] = "\n".join(data)
                yield event
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue  # a comment (keep-alive)
        field, colon, value = line.partition(":")
        if not colon:
            raise Failure(
                f"{what}: the line {line[:60]!r} is not an SSE field.",
                expected="lines like 'id: 1' and 'data: {...}', an empty line after each event",
                got=repr(line[:80]),
                next="yield ServerSentEvent(id=..., data=...) and mount with response_class=EventSourceResponse",
            )
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field in ("id", "event", "retry"):
            event[field] = value
    if data or event:
        raise Failure(
            f"{what}: the last event is not followed by a blank line.",
            expected="every event, the last one too, ending with an empty line (\\n\\n)",
            got=f"the stream ended right after {line[:60]!r}",
            next="a browser drops an event that is not closed by an empty line; end each event with \\n\\n",
        )


def progress_events(server, steps_seen: Steps, query: str, last_id: int | None, what: str) -> list[dict[str, str]]:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    events: list[dict[str, str]] = []
    try:
        with server.client.stream("GET", "/progress" + query, headers=headers) as response:
            expect_ok(response, what, "yield ServerSentEvent objects")
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                raise media_type_failure(what, response, "text/event-stream",
                                         "yield ServerSentEvent objects; the route uses response_class=EventSourceResponse")  # fmt: skip
            for event in sse_events(text_of(response.iter_raw(), what), what):
                events.append(event)
                steps_seen.received = len(events)
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    return events


def check_progress(events: list[dict[str, str]], first: int, total: int, what: str) -> None:
    for number, event in enumerate(events, start=1):
        if "id" not in event:
            raise Failure(
                f"{what}: event {number} has no id.",
                expected=f"id: {first + number - 1}, then data: {{\"step\": ..., \"total\": {total}}}",
                got=" / ".join(f"{k}: {v}" for k, v in event.items())[:100],
                next="yield ServerSentEvent(id=str(step), data=Progress(...)): without ids a client cannot resume",
            )
    got_ids = [event["id"] for event in events]
    want_ids = [str(n) for n in range(first, total + 1)]
    if got_ids != want_ids:
        raise Failure(
            f"{what} sent the wrong events.",
            expected="ids " + (", ".join(want_ids) if want_ids else "none: the stream ends at once"),
            got="ids " + (", ".join(got_ids) if got_ids else "none"),
            next="start after Last-Event-ID: steps last_event_id + 1 .. steps" if first > 1 else "one event per step",
        )
    for event in events:
        try:
            data = json.loads(event.get("data", ""))
        except ValueError:
            data = None
        want = {"step": int(event["id"]), "total": total}
        if data != want:
            raise Failure(
                f"{what}: event {event['id']} carries the wrong data.",
                expected=f"data: {json.dumps(want, separators=(',', ':'))}",
                got=f"data: {event.get('data', '(none)')}"[:100],
                next="data=Progress(step=step, total=steps)",
            )


@case("2.4")
def check_job_progress(job_progress, ctx) -> str:
    what = "GET /progress?steps=5"
    depends_on = find_dependency(job_progress, "job_steps", "job_progress",
                            "run_step: Callable[[int], Awaitable[None]] = Depends(job_steps)")  # fmt: skip
    current = [Steps()]
    app = FastAPI()
    # Only a generator function is streamed as SSE; FastAPI would iterate anything else as if it were one.
    route = {"response_class": EventSourceResponse} if is_generator(job_progress) else {"response_model": None}
    app.add_api_route("/progress", job_progress, methods=["GET"], **route)
    app.dependency_overrides[depends_on] = lambda: current[0]
    server = ctx.serve(app)

    # A fresh client: all five events, each sent before the next step runs (step 4 waits for event 3).
    current[0] = steps = Steps(pause_at=4)
    events = progress_events(server, steps, "?steps=5", None, what)
    check_progress(events, 1, 5, what)
    if steps.waited:
        raise Failure(
            f"{what}: event 3 had not reached the client when step 4 started.",
            expected="each event sent as soon as its step is done",
            got=f"nothing for {PAUSE:g} s after step 3: events were held back until later",
            next="yield each event right after `await run_step(step)`; do not collect them first",
        )
    if steps.ran != [1, 2, 3, 4, 5]:
        raise Failure(f"{what} ran steps {steps.ran}.", expected="steps [1, 2, 3, 4, 5], once each",
                      got=f"{steps.ran}", next="await run_step(step) once per step, before its event")  # fmt: skip

    # Reconnecting: Last-Event-ID: 3 -> events 4 and 5 only, and steps 1-3 are not run again.
    for last_id, first in ((3, 4), (5, 6)):
        current[0] = steps = Steps()
        label = f"{what} with Last-Event-ID: {last_id}"
        check_progress(progress_events(server, steps, "?steps=5", last_id, label), first, 5, label)
        if steps.ran != list(range(first, 6)):
            raise Failure(
                f"{label} ran steps {steps.ran}.",
                expected=f"steps {list(range(first, 6))}: the ones after the last event the client has",
                got=f"{steps.ran}",
                next="start the loop after last_event_id; the earlier steps are done",
            )
    return (
        "text/event-stream; ids 1-5 with their progress, each event sent before the next step; "
        "Last-Event-ID: 3 resumed with events 4 and 5 (steps 1-3 not rerun); Last-Event-ID: 5 ended at once."
    )


# -- 2.5 a client that aggregates a stream ------------------------------------------------------------

STREAM_BYTES = 8 * MiB


def lines_stream(count: int, seed: int) -> tuple[bytes, dict[str, int]]:
    """`count` JSON Lines of orders (with long notes, to make megabytes) and their revenue per status."""
    rng = random.Random(seed)
    lines, totals = [], {}
    notes = ["gift wrap, please " * 50, "ring twice\nthen wait " * 40, "日本語のメモ " * 120, "x" * 1000]
    for i in range(1, count + 1):
        status = rng.choice(STATUSES)
        price = rng.randrange(100, 100_000)
        totals[status] = totals.get(status, 0) + price
        row = order_row(i)
        order = dict(zip(COLUMNS, row), notes=notes[i % len(notes)], price_cents=price, status=status)
        lines.append(json.dumps(order, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode(), totals


def jsonl_app(body: bytes, progress: list[int]) -> Starlette:
    """/orders.jsonl streams `body` in odd-sized chunks (lines cut anywhere); it pauses a quarter of the way
    until the client has reported progress.  /three.jsonl is the docstring's example; /missing is a 404."""
    import asyncio

    chunk = 65_521

    async def orders(request):
        async def chunks():
            view = memoryview(body)
            for start in range(0, len(body), chunk):
                if start >= len(body) // 4 and not progress[1]:
                    progress[1] = 1
                    deadline = time.monotonic() + PAUSE
                    while not progress[0] and time.monotonic() < deadline:
                        await asyncio.sleep(0.005)
                    progress[2] = not progress[0]
                yield view[start:start + chunk]
                await asyncio.sleep(0)

        return StreamingResponse(chunks(), media_type="application/jsonl")

    async def three(request):
        lines = [{"id": 1, "status": "paid", "price_cents": 650}, {"id": 2, "status": "paid", "price_cents": 100},
                 {"id": 3, "status": "shipped", "price_cents": 899}]  # fmt: skip
        return Response("".join(json.dumps(line) + "\n" for line in lines), media_type="application/jsonl")

    async def missing(request):
        return Response('{"detail":"Not Found"}\n', status_code=404, media_type="application/json")

    return Starlette(routes=[Route("/orders.jsonl", orders), Route("/three.jsonl", three), Route("/missing", missing)])


@case("2.5")
def check_revenue_by_status(revenue_by_status, ctx) -> str:
    body, totals = lines_stream(STREAM_BYTES // 1200, seed=5)
    count = body.count(b"\n")  # one per line: line breaks inside values are escaped in JSON
    progress = [0, 0, 0]  # reported by the client, pause started, pause ran out
    server = ctx.serve(jsonl_app(body, progress))

    got = revenue_by_status(server.url + "/three.jsonl")
    if got != {"paid": 750, "shipped": 899}:
        raise Failure(
            "three orders (paid 650, paid 100, shipped 899) gave the wrong totals.",
            expected="{'paid': 750, 'shipped': 899}",
            got=repr(got)[:100],
            next="add each line's price_cents to the total of its status",
        )
    try:
        got = revenue_by_status(server.url + "/missing")
    except httpx.HTTPStatusError:
        pass
    except Exception as exc:  # noqa: BLE001 - any other error is the wrong one to raise
        raise Failure(
            "a 404 answer raised the wrong error.",
            expected="httpx.HTTPStatusError (response.raise_for_status())",
            got=f"{type(exc).__name__}: {exc}"[:100],
            next="call response.raise_for_status() before reading the lines",
        ) from None
    else:
        raise Failure(
            "a 404 answer was read as if it were orders.",
            expected="httpx.HTTPStatusError (response.raise_for_status())",
            got=f"it returned {got!r}"[:100],
            next="call response.raise_for_status() before reading the lines",
        )

    reports: list[int] = []

    def on_progress(n: int) -> None:
        reports.append(n)
        progress[0] = 1

    bound = 3 * MiB
    with peak_memory() as peak:
        got = revenue_by_status(server.url + "/orders.jsonl", on_progress)
    what = f"{count} orders ({size(len(body))} of JSON Lines)"
    if peak[0] > bound:
        raise Failure(
            f"reading {what} took {size(peak[0])} of memory at its peak.",
            expected=f"under {size(bound)} however long the stream is",
            got=f"{size(peak[0])}: the whole body was held at once (.json(), .text, .content or read())",
            next="read inside `with httpx.stream(...) as response:` with response.iter_lines()",
        )
    if got != totals:
        raise Failure(
            f"{what} gave the wrong totals.",
            expected=repr(dict(sorted(totals.items())))[:120],
            got=repr(dict(sorted(got.items())) if isinstance(got, dict) else got)[:120],
            next="parse every line whole: iter_lines() joins the lines that chunks cut in two",
        )
    if progress[2]:
        raise Failure(
            f"no progress was reported while {what} were still arriving.",
            expected="on_progress(n) called after every batch of at most 1000 orders",
            got="no call after a quarter of the stream" + (f"; {len(reports)} calls in all" if reports else ""),
            next="call on_progress inside the loop over the lines, not after it",
        )
    if sum(reports) != count or any(not isinstance(n, int) or not 0 < n <= 1000 for n in reports):
        raise Failure(
            f"the progress reports for {what} do not add up.",
            expected=f"calls with 1..1000 orders each, adding up to {count}",
            got=f"{len(reports)} calls adding up to {sum(reports)}" + (f", the largest {max(reports)}" if reports else ""),
            next="call on_progress(number of orders since the last call) every 1000 orders and once at the end",
        )
    return (
        f"totals right for {what} cut at odd places; peak memory under {size(bound)}; "
        f"progress reported in {len(reports)} calls while the stream arrived; a 404 raised HTTPStatusError."
    )
