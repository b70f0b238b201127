"""Chapter 2 — StreamingResponse: serving a table, a feed and a progress bar without buffering them.

Each function below is an exercise of notebooks/02_streaming_response.ipynb; check one with
check("2.1") in the notebook or `.venv/bin/python -m course_lib check 2.1` in a terminal.

The endpoints are plain path operation functions, without decorators: the check (and
`.venv/bin/python -m course_lib serve 02`) mounts each one on a FastAPI app, as the docstring shows, and gives it
the orders database through the `orders_connection` dependency.  Keep the signatures as they are.
"""

import csv
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

import httpx
from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.sse import ServerSentEvent

from course_lib.support.ch02 import Order, Progress, Status, UploadStore, job_steps, orders_connection, upload_store


# -- 2.1 ------------------------------------------------------------------------------------------------


def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
    """Download the whole `orders` table as CSV, one row per order in id order, sent while it is read.

    Mounted as `app.get("/orders.csv")(export_orders_csv)`.  GET /orders.csv ->
        200, Content-Type: text/csv; charset=utf-8
        Content-Disposition: attachment; filename="orders.csv"

        id,created,customer,item,notes,quantity,price_cents,status
        1,2025-01-01T00:00:08Z,Ken Perlman,"Notebook, A5, dotted","size ""L"", colour blue,
        second line",2,1300,cancelled
        2,2025-01-01T00:00:38Z,Chloé Lovelace,Keyboard,leave at the door,3,14997,refunded
        ...
    The header row comes first, even for an empty table.  Values with commas, quotes or line breaks are
    quoted the standard CSV way, as in 1.3.  Memory stays flat however many rows there are.
    """
    # TODO: send the whole orders table as a CSV download, header line first, while it is read.
    # GET /orders.csv -> 200, text/csv, saved as orders.csv: "id,created,...,status", then one line per order
    raise NotImplementedError


# -- 2.2 ------------------------------------------------------------------------------------------------


def orders_jsonl(
    status: Status | None = None,
    min_price_cents: int = Query(0, ge=0),
    limit: int | None = Query(None, ge=1),
    db: sqlite3.Connection = Depends(orders_connection),
) -> Iterator[Order]:
    """Yield the orders that match the query, in id order, one Order at a time.

    Mounted as `app.get("/orders.jsonl")(orders_jsonl)`: because it yields, FastAPI streams it as JSON
    Lines (application/jsonl), one Order serialised by Pydantic per line.
    GET /orders.jsonl?status=refunded&min_price_cents=5000&limit=2 ->
        {"id":2,"created":"2025-01-01T00:00:38Z","customer":"Chloé Lovelace",...,"status":"refunded"}
        {"id":131,"created":"2025-01-01T01:09:21Z","customer":"Linus Lovelace",...,"status":"refunded"}
    Only orders with price_cents >= min_price_cents; at most `limit` of them.
    GET /orders.jsonl?status=lost -> 422, before a single row is read.
    """
    # TODO: yield an Order for each order that passes the filters, in id order.
    # status="refunded", min_price_cents=5000, limit=2 -> Order(id=2, ...), Order(id=131, ...)
    raise NotImplementedError


# -- 2.3 ------------------------------------------------------------------------------------------------


def orders_json_array(
    limit: int = Query(1000, ge=0, le=1_000_000),
    db: sqlite3.Connection = Depends(orders_connection),
) -> StreamingResponse:
    """Stream the first `limit` orders (in id order) as one JSON array, an element at a time.

    Mounted as `app.get("/orders.json")(orders_json_array)`.
    GET /orders.json?limit=2 -> 200, Content-Type: application/json
        [{"id":1,"created":"2025-01-01T00:00:08Z",...,"status":"cancelled"},{"id":2,...}]
    limit=0 -> []   limit=1 -> [{...}]   No comma before the first element or after the last.
    Each element is an Order as JSON; the body parses with json.loads() whatever the limit.
    Elements go out in batches of rows, while the rows are read.
    """
    # TODO: send the first `limit` orders as one JSON array, streamed while the rows are read.
    # limit=2 -> [{"id":1,...},{"id":2,...}]     limit=0 -> []
    raise NotImplementedError


# -- 2.4 ------------------------------------------------------------------------------------------------


async def job_progress(
    steps: int = Query(10, ge=1, le=1000),
    last_event_id: Annotated[int | None, Header()] = None,
    run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
) -> AsyncIterator[ServerSentEvent]:
    """Run the job's steps 1..steps and send one Server-Sent Event after each, as it happens.

    Mounted as `app.get("/progress", response_class=EventSourceResponse)(job_progress)`.
    GET /progress?steps=3 -> 200, Content-Type: text/event-stream
        id: 1            data: {"step":1,"total":3}     (then a blank line; one event per step)
        id: 2            data: {"step":2,"total":3}
        id: 3            data: {"step":3,"total":3}
    A client that reconnects with the header `Last-Event-ID: 2` gets only event 3, and steps 1 and 2
    are not run again.  `await run_step(n)` before sending event n.
    """
    # TODO: run the steps not done yet and send one event after each.
    # steps=3 with Last-Event-ID: 2 -> runs step 3 only, then sends id: 3, data: {"step":3,"total":3}
    raise NotImplementedError


# -- 2.5 ------------------------------------------------------------------------------------------------


def revenue_by_status(url: str, on_progress: Callable[[int], object] | None = None) -> dict[str, int]:
    """Download the JSON Lines of orders at `url` and return the total price_cents per status.

    Lines look like what orders_jsonl sends: {"id":1,...,"price_cents":650,"status":"delivered"}.
    Three lines with (status, price_cents) = (paid, 650), (paid, 100), (shipped, 899)
    -> {"paid": 750, "shipped": 899}.
    Memory stays flat however long the stream is: one line at a time, never the whole body.
    After each batch of at most 1000 orders, call on_progress(number of orders in the batch), so
    `on_progress=tqdm(unit=" orders").update` shows a live progress bar.
    An error status (404, 500) raises httpx.HTTPStatusError instead of returning totals.
    """
    # TODO: return the total price_cents per status of the orders at `url`, reporting progress as it goes.
    # (paid, 650), (paid, 100), (shipped, 899) -> {"paid": 750, "shipped": 899}, on_progress(3) once
    raise NotImplementedError


# -- 2.6 ------------------------------------------------------------------------------------------------


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    """Receive the request body as a file, writing each piece as it arrives: never the whole body in memory.

    Mounted as `app.put("/uploads/{name}")(receive_upload)`.
    PUT /uploads/report.csv with a 3 MiB body -> 201, {"name":"report.csv","bytes":3145728,"sha256":"<hex>"},
    and store.path("report.csv") then holds exactly those bytes.
    While the body arrives it goes to store.partial(name), never to store.path(name): a half-received upload
    is never visible under its name.  A body longer than store.max_bytes (say so in Content-Length or not)
    -> 413, and nothing is kept.  A client that goes away halfway leaves nothing behind either.
    """
    # TODO: write each piece of request.stream() to a partial file, then give it its name; 413 past max_bytes.
    # PUT /uploads/a.bin with b"0123456789" -> 201 {"name":"a.bin","bytes":10,"sha256":"84d89877...f7882"}
    raise NotImplementedError
