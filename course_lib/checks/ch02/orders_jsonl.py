"""Exercise 2.2 orders_jsonl: the orders that match a query, one Order per line of JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from .._case import Failure, case
from .._endpoints import expect_ok, media_type_failure
from ._bodies import lines_of, text_of, truncated
from ._orders import COLUMNS, check_gate, compare_orders, expected_orders, first_byte, orders_table, serve_orders

WHAT = "GET /orders.jsonl"
BIG_ROWS = 2_000
FILTERS = [("", {}), ("?status=refunded&min_price_cents=5000", {"status": "refunded", "min_price_cents": 5000}),
           ("?limit=3", {"limit": 3}), ("?status=paid&limit=2", {"status": "paid", "limit": 2}),
           ("?min_price_cents=100000000", {"min_price_cents": 100_000_000})]  # fmt: skip
BAD_QUERIES = ("?status=lost", "?min_price_cents=-1", "?limit=0", "?limit=many")


def jsonl_objects(texts: Iterable[str], what: str) -> Iterator[dict[str, Any]]:
    """Parse a JSON Lines body as it arrives: one JSON object per line, each line ending with a line break."""
    for number, line in enumerate(lines_of(texts), start=1):
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


def get_orders(ctx, orders_jsonl, query: str) -> list[dict[str, Any]]:
    """GET /orders.jsonl<query> from the 300-row table: the orders it sent, once it is checked as JSON Lines."""
    server, backend = serve_orders(ctx, orders_jsonl, "/orders.jsonl", "orders_jsonl")
    backend.use(orders_table(ctx, 300))
    try:
        with server.client.stream("GET", "/orders.jsonl" + query) as response:
            expect_ok(response, WHAT + query, "yield the orders; let the typed parameters do the checking")
            if not response.headers.get("content-type", "").startswith("application/jsonl"):
                raise media_type_failure(
                    WHAT + query, response, "application/jsonl (FastAPI's choice for a path operation that yields)",
                    "`yield` each Order; returning a list sends one JSON document (application/json)",
                )
            return list(jsonl_objects(text_of(response.iter_raw(), WHAT), WHAT + query))
    except httpx.TransportError as exc:
        raise truncated(exc) from None


@case("2.2")
def gives_the_orders_each_filter_selects(orders_jsonl, ctx):
    for query, filters in FILTERS:
        compare_orders(get_orders(ctx, orders_jsonl, query), expected_orders(300, **filters), WHAT + query,
                       "filter in SQL: price_cents >= ?, status = ? when given, ORDER BY id, LIMIT ? when given")  # fmt: skip
    return f"application/jsonl, one Order per line, for {len(FILTERS)} filter combinations on 300 awkward rows"


@case("2.2")
def refuses_bad_parameters_before_reading(orders_jsonl, ctx):
    """422 from FastAPI's validation, before a row is read or a byte of body is sent."""
    server, backend = serve_orders(ctx, orders_jsonl, "/orders.jsonl", "orders_jsonl")
    for query in BAD_QUERIES:
        gate = backend.use(orders_table(ctx, 300))
        try:
            response = server.client.get("/orders.jsonl" + query)
        except httpx.TransportError as exc:
            raise Failure(
                f"{WHAT}{query} answered 200 and then the stream broke.",
                expected="422 Unprocessable Content, before the stream starts",
                got=f"a 200 whose body ended with {type(exc).__name__}: the status line had already gone out",
                next="declare the parameters with their types and limits (as given) so FastAPI checks them first; "
                "an exception inside a generator comes after the 200",
            ) from None
        if response.status_code != 422 or gate.count:
            raise Failure(
                f"{WHAT}{query} answered {response.status_code}.",
                expected="422 Unprocessable Content, before the stream starts",
                got=f"{response.status_code} {response.text[:60]!r}",
                next="keep the parameters' types and limits as given (Status, Query(ge=...)): FastAPI checks "
                "them before it calls the function; code inside a generator runs after the 200 is sent",
            )
    return f"{len(BAD_QUERIES)} bad parameters answered 422 before any row was read"


@case("2.2")
def sends_lines_while_reading(orders_jsonl, ctx):
    """2000 rows: the reading pauses halfway until the client has a line."""
    server, backend = serve_orders(ctx, orders_jsonl, "/orders.jsonl", "orders_jsonl")
    gate = backend.use(orders_table(ctx, BIG_ROWS), pause_at=BIG_ROWS // 2)
    seen: dict[str, Any] = {}
    count = 0
    try:
        with server.client.stream("GET", "/orders.jsonl") as response:
            expect_ok(response, WHAT, "yield the orders")
            for _ in jsonl_objects(text_of(first_byte(response.iter_raw(), seen, gate), WHAT), WHAT):
                count += 1
                gate.release()
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    check_gate(gate, seen, BIG_ROWS, WHAT, "lines", "yield each Order as its row is read; no fetchall()")
    if count != BIG_ROWS:
        raise Failure(f"{WHAT} of {BIG_ROWS} rows gave {count} lines.", expected=f"{BIG_ROWS}", got=f"{count}",
                      next="yield every row")  # fmt: skip
    return f"{BIG_ROWS} rows began to arrive while the database was still being read."
