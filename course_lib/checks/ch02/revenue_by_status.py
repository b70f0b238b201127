"""Exercise 2.5 revenue_by_status: a client that totals a long JSON Lines stream one line at a time."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .._case import Failure, case
from .._endpoints import PAUSE
from .._tools import MiB, peak_memory, size
from ._orders import COLUMNS, STATUSES, order_row

STREAM_BYTES = 8 * MiB
MEMORY_BOUND = 3 * MiB


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


def stream_server(ctx) -> dict[str, Any]:
    """The check's JSON Lines server and what it serves, started once per check."""
    if "stream" not in ctx.found:
        body, totals = lines_stream(STREAM_BYTES // 1200, seed=5)
        count = body.count(b"\n")  # one per line: line breaks inside values are escaped in JSON
        progress = [0, 0, 0]  # reported by the client, pause started, pause ran out
        what = f"{count} orders ({size(len(body))} of JSON Lines)"
        server = ctx.serve(jsonl_app(body, progress))
        ctx.found["stream"] = dict(url=server.url, totals=totals, count=count, progress=progress, what=what)
    return ctx.found["stream"]


def read_long_stream(revenue_by_status, stream: dict[str, Any]) -> None:
    """revenue_by_status of the long stream, memory measured and progress recorded: noted in `stream`."""
    reports: list[int] = []

    def on_progress(n: int) -> None:
        reports.append(n)
        stream["progress"][0] = 1

    with peak_memory() as peak:
        stream["got"] = revenue_by_status(stream["url"] + "/orders.jsonl", on_progress)
    stream["peak"], stream["reports"] = peak[0], reports


@case("2.5")
def totals_a_long_stream_cut_at_odd_places(revenue_by_status, ctx):
    stream = stream_server(ctx)
    got = revenue_by_status(stream["url"] + "/three.jsonl")
    if got != {"paid": 750, "shipped": 899}:
        raise Failure(
            "three orders (paid 650, paid 100, shipped 899) gave the wrong totals.",
            expected="{'paid': 750, 'shipped': 899}",
            got=repr(got)[:100],
            next="add each line's price_cents to the total of its status",
        )
    read_long_stream(revenue_by_status, stream)
    got, totals = stream["got"], stream["totals"]
    if got != totals:
        raise Failure(
            f"{stream['what']} gave the wrong totals.",
            expected=repr(dict(sorted(totals.items())))[:120],
            got=repr(dict(sorted(got.items())) if isinstance(got, dict) else got)[:120],
            next="parse every line whole: iter_lines() joins the lines that chunks cut in two",
        )
    return f"totals right for {stream['what']} cut at odd places"


@case("2.5")
def keeps_memory_flat(revenue_by_status, ctx):
    stream = stream_server(ctx)
    if stream["peak"] > MEMORY_BOUND:
        raise Failure(
            f"reading {stream['what']} took {size(stream['peak'])} of memory at its peak.",
            expected=f"under {size(MEMORY_BOUND)} however long the stream is",
            got=f"{size(stream['peak'])}: the whole body was held at once (.json(), .text, .content or read())",
            next="read inside `with httpx.stream(...) as response:` with response.iter_lines()",
        )
    return f"peak memory under {size(MEMORY_BOUND)}"


@case("2.5")
def reports_progress_while_the_stream_arrives(revenue_by_status, ctx):
    stream = stream_server(ctx)
    reports, count, what = stream["reports"], stream["count"], stream["what"]
    if stream["progress"][2]:
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
    return f"progress reported in {len(reports)} calls while the stream arrived"


@case("2.5")
def raises_on_an_error_status(revenue_by_status, ctx):
    stream = stream_server(ctx)
    try:
        got = revenue_by_status(stream["url"] + "/missing")
    except httpx.HTTPStatusError:
        return "a 404 raised HTTPStatusError."
    except Exception as exc:  # noqa: BLE001 - any other error is the wrong one to raise
        raise Failure(
            "a 404 answer raised the wrong error.",
            expected="httpx.HTTPStatusError (response.raise_for_status())",
            got=f"{type(exc).__name__}: {exc}"[:100],
            next="call response.raise_for_status() before reading the lines",
        ) from None
    raise Failure(
        "a 404 answer was read as if it were orders.",
        expected="httpx.HTTPStatusError (response.raise_for_status())",
        got=f"it returned {got!r}"[:100],
        next="call response.raise_for_status() before reading the lines",
    )
