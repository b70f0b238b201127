"""Exercise 2.3 orders_json_array: the first `limit` orders as one JSON array, streamed an element at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from .._case import Failure, case
from .._endpoints import expect_ok, media_type_failure
from ._bodies import text_of, truncated
from ._orders import COLUMNS, check_gate, compare_orders, expected_orders, first_byte, orders_table, serve_orders

WHAT = "GET /orders.json"
BIG_ROWS = 3_000
LIMITS = (0, 1, 2, 7, 300)


class JsonArray:
    """A JSON array parsed as it arrives: `items()` yields each element once it is complete."""

    def __init__(self, texts: Iterable[str], what: str) -> None:
        self.texts, self.what = iter(texts), what
        self.decoder = json.JSONDecoder()
        self.buffer, self.position, self.ended = "", 0, False

    def more(self) -> bool:
        text = next(self.texts, None)
        if text is None:
            self.ended = True
            return False
        self.buffer = self.buffer[self.position:] + text
        self.position = 0
        return True

    def skip_space(self) -> str:
        """The next character that is not white space ("" at the end of the body)."""
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position] in " \t\r\n":
                self.position += 1
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self.more():
                return ""

    def broken(self, expected: str) -> Failure:
        near = self.buffer[max(0, self.position - 30):self.position + 30]
        return Failure(
            f"{self.what} is not valid JSON: {expected} expected.",
            expected="[ then elements separated by commas, then ] -- no comma before the first or after the last",
            got=repr(near)[:100] if self.buffer else "an empty body",
            next="write '[' first, ',' before every element but the first, ']' at the end, even with no elements",
        )

    def element(self) -> Any:
        while True:
            try:
                item, end = self.decoder.raw_decode(self.buffer, self.position)
            except ValueError:
                if self.more():
                    continue
                raise self.broken("an element") from None
            if end == len(self.buffer) and not self.ended and isinstance(item, (int, float)):
                if self.more():  # a number cut by a chunk boundary
                    continue
            self.position = end
            return item

    def items(self) -> Iterator[Any]:
        if self.skip_space() != "[":
            raise self.broken("'['")
        self.position += 1
        first = True
        while (char := self.skip_space()) != "]":
            if not first:
                if char != ",":
                    raise self.broken("',' or ']'")
                self.position += 1
                self.skip_space()
            first = False
            yield self.element()
        self.position += 1
        if self.skip_space() != "":
            raise self.broken("nothing after ']'")


def get_array(ctx, orders_json_array, query: str) -> list[Any]:
    """GET /orders.json<query> from the 300-row table: the elements of the array it sent."""
    server, backend = serve_orders(ctx, orders_json_array, "/orders.json", "orders_json_array")
    backend.use(orders_table(ctx, 300))
    try:
        response = server.client.get("/orders.json" + query)
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    expect_ok(response, WHAT + query, "return the StreamingResponse")
    if not response.headers.get("content-type", "").startswith("application/json"):
        raise media_type_failure(WHAT + query, response, "application/json", 'pass media_type="application/json"')
    items = list(JsonArray([response.text], WHAT + query).items())
    if json.loads(response.text) != items:  # json.loads reads alike whatever the incremental parser accepts
        raise AssertionError(f"json.loads and the incremental parser disagree on {WHAT}{query}")
    return items


@case("2.3")
def is_a_valid_array_of_orders_for_each_limit(orders_json_array, ctx):
    for limit in LIMITS:
        query = f"?limit={limit}"
        items = get_array(ctx, orders_json_array, query)
        bad = next((i for i, item in enumerate(items) if not isinstance(item, dict)), None)
        if bad is not None:
            raise Failure(
                f"{WHAT}{query}: element {bad + 1} is a JSON {type(items[bad]).__name__}, not an object.",
                expected="an object with the Order fields: " + ", ".join(COLUMNS),
                got=repr(items[bad])[:80],
                next="Order(**row).model_dump_json() gives the object for a row",
            )
        compare_orders(items, expected_orders(300, limit=limit), WHAT + query,
                       "SELECT * FROM orders ORDER BY id LIMIT ?, each row as Order(**row).model_dump_json()")  # fmt: skip
    limits = ", ".join(map(str, LIMITS[:-1])) + f" and {LIMITS[-1]}"
    return f"valid JSON (json.loads and an incremental parser agree) for {limits} orders, each an Order"


@case("2.3")
def sends_elements_while_reading(orders_json_array, ctx):
    """3000 rows, parsed element by element as the body arrives; the reading pauses halfway."""
    server, backend = serve_orders(ctx, orders_json_array, "/orders.json", "orders_json_array")
    gate = backend.use(orders_table(ctx, BIG_ROWS), pause_at=BIG_ROWS // 2)
    seen: dict[str, Any] = {}
    count = 0
    try:
        with server.client.stream("GET", f"/orders.json?limit={BIG_ROWS}") as response:
            expect_ok(response, WHAT, "return the StreamingResponse")
            for _ in JsonArray(text_of(first_byte(response.iter_raw(), seen, gate), WHAT), WHAT).items():
                count += 1
                gate.release()
    except httpx.TransportError as exc:
        raise truncated(exc) from None
    check_gate(gate, seen, BIG_ROWS, WHAT, "elements",
               "yield the elements as the rows are read: '[' first, then each batch, then ']'")  # fmt: skip
    if count != BIG_ROWS:
        raise Failure(f"{WHAT}?limit={BIG_ROWS} gave {count} elements.", expected=f"{BIG_ROWS}",
                      got=f"{count}", next="yield every row")  # fmt: skip
    return f"{BIG_ROWS} elements began to arrive while the database was still being read."
