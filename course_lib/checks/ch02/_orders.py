"""The check's orders database and how 2.1-2.3 serve it: a small SQLite file full of values that trip naive
code, read through a connection the check can watch and pause.

The endpoints are mounted on a real FastAPI app served by uvicorn and fetched over HTTP.  The check reaches
into their database through `orders_connection`, which it overrides, so that it can watch -- and pause --
the reading: the `orders` table the endpoint sees is a view that calls back into the check for every row it
reads.  Pausing the database halfway tells a stream from a buffer without relying on timings: a streaming
endpoint has already sent rows when the pause starts; a buffering one has sent nothing.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI

from course_lib.support.ch02 import Order, Status

from .._case import Failure
from .._endpoints import PAUSE, find_dependency, streaming_route

COLUMNS = tuple(Order.model_fields)
STATUSES = get_args(Status)

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


def orders_table(ctx, rows: int) -> Path:
    """A database of `rows` orders in the check's folder, made once per check."""
    key = f"orders-{rows}"
    if key not in ctx.found:
        ctx.found[key] = make_orders(ctx.folder / f"{key}.sqlite3", rows)
    return ctx.found[key]


def order_json(row: tuple) -> dict[str, Any]:
    return dict(zip(COLUMNS, row))


def expected_orders(rows: int, status: str | None = None, min_price_cents: int = 0, limit: int | None = None):
    found = [order_json(order_row(i)) for i in range(1, rows + 1)]
    found = [o for o in found if o["price_cents"] >= min_price_cents and (status is None or o["status"] == status)]
    return found[:limit] if limit is not None else found


# -- watching the reading -----------------------------------------------------------------------------


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

    def __init__(self, db_path: Path | None = None) -> None:
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


def serve_orders(ctx, answer: Callable[..., Any], path: str, what: str):
    """The learner's endpoint served at `path` on a FastAPI app whose database is the Backend's: (server,
    backend), started once per check."""
    if "orders-server" not in ctx.found:
        backend = Backend()
        declared = "db: sqlite3.Connection = Depends(orders_connection)"
        depends_on = find_dependency(answer, "orders_connection", what, declared)
        app = FastAPI()
        app.add_api_route(path, answer, methods=["GET"], **streaming_route(answer))
        app.dependency_overrides[depends_on] = backend.connection
        ctx.found["orders-server"] = (ctx.serve(backend.counting(app)), backend)
    return ctx.found["orders-server"]


def first_byte(chunks: Iterable[bytes], seen: dict[str, Any], gate: RowGate) -> Iterator[bytes]:
    """Pass the chunks through, noting how many rows had been read when the first byte of body arrived."""
    for chunk in chunks:
        if chunk:
            seen.setdefault("rows_at_first_byte", gate.count)
            yield chunk


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


def compare_orders(got: list[dict[str, Any]], want: list[dict[str, Any]], what: str, advice: str) -> None:
    """Fail unless the orders `got` (parsed from the body) are the orders `want`, field for field."""
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
