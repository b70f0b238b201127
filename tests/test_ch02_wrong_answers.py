"""Chapter 2: realistic wrong answers fail their check with the message meant for them."""

import csv
import io
import json
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, Header, HTTPException, Query
from fastapi.responses import Response, StreamingResponse
from fastapi.sse import ServerSentEvent

from course_lib import CheckFailed, check
from conftest import ROOT, write_module
from solutions.ch02_streaming_response import Order, Progress, Status, job_steps, orders_connection

STEM = "ch02_streaming_response"
GOOD = (ROOT / "solutions" / f"{STEM}.py").read_text()


def learner_module(folder, name, new_def):
    """The solutions module with `name` replaced by `new_def`, written where the check loads answers from
    (errors raised in the learner's own file are reported with their line)."""
    import ast

    node = next(n for n in ast.parse(GOOD).body if getattr(n, "name", None) == name)
    lines = GOOD.splitlines(keepends=True)
    write_module(folder, STEM, "".join(lines[: node.lineno - 1]) + new_def + "".join(lines[node.end_lineno :]))


# -- 2.1 export_orders_csv -----------------------------------------------------------------------------


def test_csv_built_whole_before_sending_fails_as_buffered():
    def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([d[0] for d in rows.description])
        writer.writerows(rows)
        return Response(buffer.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="orders.csv"'})  # fmt: skip

    with pytest.raises(CheckFailed) as info:
        check("2.1", export_orders_csv)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.1 export_orders_csv: the whole body was built before the first byte was sent: "
        "no byte reached the client until all 40000 rows had been read from the database."
    )
    assert "paused at row 20000 of 40000" in message


def test_csv_joined_by_hand_without_quoting_fails_on_values():
    def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id")

        def lines():
            yield ",".join(d[0] for d in rows.description) + "\n"
            while batch := rows.fetchmany(1000):
                yield "".join(",".join(str(v) for v in row) + "\n" for row in batch)

        return StreamingResponse(lines(), media_type="text/csv",
                                 headers={"Content-Disposition": 'attachment; filename="orders.csv"'})  # fmt: skip

    with pytest.raises(CheckFailed) as info:
        check("2.1", export_orders_csv)
    message = str(info.value)
    assert message.startswith("✗ 2.1 export_orders_csv: GET /orders.csv: row 2 (order 2) does not parse back")
    assert "let csv.writer quote the values" in message


def test_csv_without_content_disposition_is_not_a_download():
    def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id")

        def chunks():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([d[0] for d in rows.description])
            while batch := rows.fetchmany(1000):
                writer.writerows(batch)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

        return StreamingResponse(chunks(), media_type="text/csv")

    with pytest.raises(CheckFailed) as info:
        check("2.1", export_orders_csv)
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 2.1 export_orders_csv: GET /orders.csv does not ask the browser to save a file.",
        '  expected: Content-Disposition: attachment; filename="orders.csv"',
        "  got:      no Content-Disposition header",
    ]


def test_csv_one_chunk_per_row_fails_fast_on_chunk_count():
    def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id")

        def chunks():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([d[0] for d in rows.description])
            for row in rows:
                writer.writerow(row)
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue()

        return StreamingResponse(chunks(), media_type="text/csv",
                                 headers={"Content-Disposition": 'attachment; filename="orders.csv"'})  # fmt: skip

    with pytest.raises(CheckFailed) as info:
        check("2.1", export_orders_csv)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.1 export_orders_csv: GET /orders.csv sent more than 2000 chunks for 40000 rows: about one chunk per row."
    )


def test_csv_stringio_never_emptied_fails_on_memory():
    def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id")

        def chunks():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([d[0] for d in rows.description])
            sent = 0
            while batch := rows.fetchmany(1000):
                writer.writerows(batch)
                yield buffer.getvalue()[sent:]
                sent = buffer.tell()
            if sent == 0:
                yield buffer.getvalue()

        return StreamingResponse(chunks(), media_type="text/csv",
                                 headers={"Content-Disposition": 'attachment; filename="orders.csv"'})  # fmt: skip

    with pytest.raises(CheckFailed) as info:
        check("2.1", export_orders_csv)
    message = str(info.value)
    assert message.startswith("✗ 2.1 export_orders_csv: exporting 40000 rows took ")
    assert "expected: under 6 MiB however many rows there are" in message


def test_csv_header_then_fetchall_fails_as_not_streaming_rows():
    def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection)) -> StreamingResponse:
        cursor = db.execute("SELECT * FROM orders ORDER BY id")

        def chunks():
            yield ",".join(d[0] for d in cursor.description) + "\r\n"
            rows = cursor.fetchall()
            for start in range(0, len(rows), 1000):
                buffer = io.StringIO()
                csv.writer(buffer).writerows(rows[start : start + 1000])
                yield buffer.getvalue()

        return StreamingResponse(chunks(), media_type="text/csv",
                                 headers={"Content-Disposition": 'attachment; filename="orders.csv"'})  # fmt: skip

    with pytest.raises(CheckFailed) as info:
        check("2.1", export_orders_csv)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.1 export_orders_csv: no row reached the client while 20000 of 40000 rows had been read from the database."
    )


def test_csv_connection_closed_before_streaming_is_reported_from_the_generator(learner_dir):
    learner_module(
        learner_dir,
        "export_orders_csv",
        "def export_orders_csv(db: sqlite3.Connection = Depends(orders_connection, scope='function')):\n"
        "    def chunks():\n"
        "        rows = db.execute('SELECT * FROM orders ORDER BY id')\n"
        "        yield 'id\\n'\n"
        "    return StreamingResponse(chunks(), media_type='text/csv')\n",
    )
    with pytest.raises(CheckFailed) as info:
        check("2.1")
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.1 export_orders_csv raised ProgrammingError while serving the request: Cannot operate on a closed database."
    )
    assert message.splitlines()[1].endswith("rows = db.execute('SELECT * FROM orders ORDER BY id')")


# -- 2.2 orders_jsonl ----------------------------------------------------------------------------------


def test_jsonl_returning_a_list_is_one_json_document():
    def orders_jsonl(
        status: Status | None = None,
        min_price_cents: int = Query(0, ge=0),
        limit: int | None = Query(None, ge=1),
        db: sqlite3.Connection = Depends(orders_connection),
    ) -> list[Order]:
        rows = db.execute("SELECT * FROM orders WHERE price_cents >= ? ORDER BY id", (min_price_cents,))
        return [Order(**row) for row in rows if status in (None, row["status"])][:limit]

    with pytest.raises(CheckFailed) as info:
        check("2.2", orders_jsonl)
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 2.2 orders_jsonl: GET /orders.jsonl answered with Content-Type 'application/json'."
    assert "returning a list sends one JSON document" in message


def test_jsonl_yielding_rows_gives_arrays_not_objects():
    def orders_jsonl(
        status: Status | None = None,
        min_price_cents: int = Query(0, ge=0),
        limit: int | None = Query(None, ge=1),
        db: sqlite3.Connection = Depends(orders_connection),
    ):
        for row in db.execute("SELECT * FROM orders WHERE price_cents >= ? ORDER BY id", (min_price_cents,)):
            yield tuple(row)

    with pytest.raises(CheckFailed) as info:
        check("2.2", orders_jsonl)
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 2.2 orders_jsonl: GET /orders.jsonl: line 1 is a JSON list, not an object."


def test_jsonl_yielding_json_text_is_serialised_twice():
    def orders_jsonl(
        status: Status | None = None,
        min_price_cents: int = Query(0, ge=0),
        limit: int | None = Query(None, ge=1),
        db: sqlite3.Connection = Depends(orders_connection),
    ):
        for row in db.execute("SELECT * FROM orders WHERE price_cents >= ? ORDER BY id", (min_price_cents,)):
            yield Order(**row).model_dump_json()

    with pytest.raises(CheckFailed) as info:
        check("2.2", orders_jsonl)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.2 orders_jsonl: GET /orders.jsonl: line 1 is a JSON string holding JSON, serialised twice."
    )


def test_jsonl_checking_status_inside_the_generator_is_too_late():
    def orders_jsonl(
        status: str | None = None,
        min_price_cents: int = Query(0, ge=0),
        limit: int | None = Query(None, ge=1),
        db: sqlite3.Connection = Depends(orders_connection),
    ) -> Iterator[Order]:
        if status is not None and status not in ("paid", "shipped", "delivered", "cancelled", "refunded"):
            raise HTTPException(422, f"unknown status {status!r}")
        sql, params = "SELECT * FROM orders WHERE price_cents >= ?", [min_price_cents]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in db.execute(sql, params):
            yield Order(**row)

    with pytest.raises(CheckFailed) as info:
        check("2.2", orders_jsonl)
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 2.2 orders_jsonl: GET /orders.jsonl?status=lost answered 200 and then the stream broke.",
        "  expected: 422 Unprocessable Content, before the stream starts",
        "  got:      a 200 whose body ended with RemoteProtocolError: the status line had already gone out",
    ]


def test_jsonl_ignoring_a_filter_gives_other_orders():
    def orders_jsonl(
        status: Status | None = None,
        min_price_cents: int = Query(0, ge=0),
        limit: int | None = Query(None, ge=1),
        db: sqlite3.Connection = Depends(orders_connection),
    ) -> Iterator[Order]:
        sql, params = "SELECT * FROM orders", []
        if status is not None:
            sql += " WHERE status = ?"
            params.append(status)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in db.execute(sql, params):
            yield Order(**row)

    with pytest.raises(CheckFailed) as info:
        check("2.2", orders_jsonl)
    message = str(info.value)
    assert message.startswith("✗ 2.2 orders_jsonl: GET /orders.jsonl?status=refunded&min_price_cents=5000: item ")
    assert "differs from the table in its 'id'" in message


# -- 2.3 orders_json_array -----------------------------------------------------------------------------


def array_endpoint(chunks_of):
    def orders_json_array(
        limit: int = Query(1000, ge=0, le=1_000_000),
        db: sqlite3.Connection = Depends(orders_connection),
    ) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id LIMIT ?", (limit,))
        return StreamingResponse(chunks_of(rows), media_type="application/json")

    return orders_json_array


def test_json_array_with_a_trailing_comma_is_invalid():
    def chunks(rows):
        yield "["
        while batch := rows.fetchmany(1000):
            yield "".join(Order(**row).model_dump_json() + "," for row in batch)
        yield "]"

    with pytest.raises(CheckFailed) as info:
        check("2.3", array_endpoint(chunks))
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 2.3 orders_json_array: GET /orders.json?limit=1 is not valid JSON: an element expected."


def test_json_array_opened_only_with_the_first_row_breaks_for_no_rows():
    def chunks(rows):
        first = True
        while batch := rows.fetchmany(1000):
            yield ("[" if first else ",") + ",".join(Order(**row).model_dump_json() for row in batch)
            first = False
        if not first:
            yield "]"

    with pytest.raises(CheckFailed) as info:
        check("2.3", array_endpoint(chunks))
    message = str(info.value)
    assert message.splitlines()[:2] == [
        "✗ 2.3 orders_json_array: GET /orders.json?limit=0 is not valid JSON: '[' expected.",
        "  expected: [ then elements separated by commas, then ] -- no comma before the first or after the last",
    ]


def test_json_array_without_commas_between_batches_is_invalid():
    def chunks(rows):
        yield "["
        while batch := rows.fetchmany(1000):
            yield ",".join(Order(**row).model_dump_json() for row in batch)
        yield "]"

    with pytest.raises(CheckFailed) as info:
        check("2.3", array_endpoint(chunks))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.3 orders_json_array: GET /orders.json is not valid JSON: ',' or ']' expected."
    )


def test_json_array_dumped_whole_fails_as_buffered():
    def orders_json_array(
        limit: int = Query(1000, ge=0, le=1_000_000),
        db: sqlite3.Connection = Depends(orders_connection),
    ) -> StreamingResponse:
        rows = db.execute("SELECT * FROM orders ORDER BY id LIMIT ?", (limit,))
        body = json.dumps([Order(**row).model_dump(mode="json") for row in rows])
        return StreamingResponse(iter([body]), media_type="application/json")

    with pytest.raises(CheckFailed) as info:
        check("2.3", orders_json_array)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.3 orders_json_array: the whole body was built before the first byte was sent: "
        "no byte reached the client until all 3000 rows had been read from the database."
    )


# -- 2.4 job_progress ----------------------------------------------------------------------------------


def progress_endpoint(first_step, with_id=True):
    async def job_progress(
        steps: int = Query(10, ge=1, le=1000),
        last_event_id: Annotated[int | None, Header()] = None,
        run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
    ) -> AsyncIterator[ServerSentEvent]:
        for step in range(first_step(last_event_id), steps + 1):
            await run_step(step)
            progress = Progress(step=step, total=steps)
            yield ServerSentEvent(id=str(step), data=progress) if with_id else progress

    return job_progress


def test_sse_ignoring_last_event_id_replays_everything():
    with pytest.raises(CheckFailed) as info:
        check("2.4", progress_endpoint(lambda last: 1))
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 2.4 job_progress: GET /progress?steps=5 with Last-Event-ID: 3 sent the wrong events.",
        "  expected: ids 4, 5",
        "  got:      ids 1, 2, 3, 4, 5",
    ]


def test_sse_resuming_at_the_id_instead_of_after_it_repeats_one():
    with pytest.raises(CheckFailed) as info:
        check("2.4", progress_endpoint(lambda last: last or 1))
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 2.4 job_progress: GET /progress?steps=5 with Last-Event-ID: 3 sent the wrong events.",
        "  expected: ids 4, 5",
        "  got:      ids 3, 4, 5",
    ]


def test_sse_events_without_ids_cannot_be_resumed():
    with pytest.raises(CheckFailed) as info:
        check("2.4", progress_endpoint(lambda last: (last or 0) + 1, with_id=False))
    message = str(info.value)
    assert message.splitlines()[0] == "✗ 2.4 job_progress: GET /progress?steps=5: event 1 has no id."


def test_sse_running_every_step_before_sending_fails_as_held_back():
    async def job_progress(
        steps: int = Query(10, ge=1, le=1000),
        last_event_id: Annotated[int | None, Header()] = None,
        run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
    ) -> AsyncIterator[ServerSentEvent]:
        done = []
        for step in range((last_event_id or 0) + 1, steps + 1):
            await run_step(step)
            done.append(step)
        for step in done:
            yield ServerSentEvent(id=str(step), data=Progress(step=step, total=steps))

    with pytest.raises(CheckFailed) as info:
        check("2.4", job_progress)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.4 job_progress: GET /progress?steps=5: event 3 had not reached the client when step 4 started."
    )


def test_sse_framed_by_hand_without_blank_lines_is_not_closed():
    async def job_progress(
        steps: int = Query(10, ge=1, le=1000),
        last_event_id: Annotated[int | None, Header()] = None,
        run_step: Callable[[int], Awaitable[None]] = Depends(job_steps),
    ) -> StreamingResponse:
        async def events():
            for step in range((last_event_id or 0) + 1, steps + 1):
                await run_step(step)
                yield f"id: {step}\ndata: {json.dumps({'step': step, 'total': steps})}\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    with pytest.raises(CheckFailed) as info:
        check("2.4", job_progress)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.4 job_progress: GET /progress?steps=5: the last event is not followed by a blank line."
    )


# -- 2.5 revenue_by_status -----------------------------------------------------------------------------


def test_client_reading_the_whole_text_fails_on_memory():
    def revenue_by_status(url, on_progress=None):
        response = httpx.get(url)
        response.raise_for_status()
        totals = {}
        for number, line in enumerate(response.text.splitlines(), start=1):
            order = json.loads(line)
            totals[order["status"]] = totals.get(order["status"], 0) + order["price_cents"]
            if on_progress and number % 1000 == 0:
                on_progress(1000)
        return totals

    with pytest.raises(CheckFailed) as info:
        check("2.5", revenue_by_status)
    message = str(info.value)
    assert message.startswith("✗ 2.5 revenue_by_status: reading 6990 orders (9.5 MiB of JSON Lines) took ")
    assert "expected: under 3 MiB however long the stream is" in message


def test_client_splitting_raw_chunks_breaks_lines(learner_dir):
    learner_module(
        learner_dir,
        "revenue_by_status",
        "def revenue_by_status(url, on_progress=None):\n"
        "    totals = {}\n"
        "    with httpx.stream('GET', url) as response:\n"
        "        response.raise_for_status()\n"
        "        for chunk in response.iter_bytes():\n"
        "            for line in chunk.split(b'\\n'):\n"
        "                if line:\n"
        "                    order = json.loads(line)\n"
        "                    totals[order['status']] = totals.get(order['status'], 0) + order['price_cents']\n"
        "    return totals\n",
    )
    with pytest.raises(CheckFailed) as info:
        check("2.5")
    message = str(info.value)
    # Where the chunks cut decides which: half a line, or half of a UTF-8 character.
    assert re.match(r"✗ 2\.5 revenue_by_status raised (JSONDecodeError|UnicodeDecodeError)", message)
    assert message.splitlines()[1].endswith("order = json.loads(line)")


def test_client_without_raise_for_status_reads_an_error_page():
    def revenue_by_status(url, on_progress=None):
        totals = {}
        with httpx.stream("GET", url) as response:
            for line in response.iter_lines():
                if line:
                    order = json.loads(line)
                    totals[order["status"]] = totals.get(order["status"], 0) + order["price_cents"]
        return totals

    with pytest.raises(CheckFailed) as info:
        check("2.5", revenue_by_status)
    message = str(info.value)
    assert message.splitlines()[:3] == [
        "✗ 2.5 revenue_by_status: a 404 answer raised the wrong error.",
        "  expected: httpx.HTTPStatusError (response.raise_for_status())",
        "  got:      KeyError: 'status'",
    ]


def test_client_reporting_progress_only_at_the_end_fails():
    def revenue_by_status(url, on_progress=None):
        totals, count = {}, 0
        with httpx.stream("GET", url) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line:
                    order = json.loads(line)
                    totals[order["status"]] = totals.get(order["status"], 0) + order["price_cents"]
                    count += 1
        if on_progress:
            on_progress(count)
        return totals

    with pytest.raises(CheckFailed) as info:
        check("2.5", revenue_by_status)
    message = str(info.value)
    assert message.splitlines()[0] == (
        "✗ 2.5 revenue_by_status: no progress was reported while 6990 orders (9.5 MiB of JSON Lines) were still arriving."
    )
