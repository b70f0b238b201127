"""Chapter 4 — production gotchas: a blocked loop, errors mid-stream, disconnects, backpressure,
hostile paths and too many heavy exports at once.

Each function below is an exercise of notebooks/04_gotchas.ipynb; check one with check("4.1") in the
notebook or `.venv/bin/python -m course_lib check 4.1` in a terminal.

Like chapter 2, the endpoints are plain path operation functions without decorators: the check (and
`.venv/bin/python -m course_lib serve 04`) mounts each one on a FastAPI app, as its docstring shows, and hands it
what it needs through a dependency the check can replace.  Keep the signatures as they are.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
from fastapi import Depends, HTTPException, Query
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from course_lib.support.ch04 import (
    RELAY_QUEUE_SIZE,
    RETRY_AFTER_SECONDS,
    TICKS,
    AuditLog,
    ExportFailed,
    ExportSlots,
    Feed,
    Sensor,
    Tick,
    TickCursor,
    TickStore,
    audit_log,
    export_rows,
    export_slots,
    feed_source,
    files_root,
    open_sensor,
    tick_store,
)

#: The server's own log (uvicorn's): the place for the details of a failure, never the response.
server_log = logging.getLogger("uvicorn.error")


# == 4.1 ================================================================================================


def sensor_report(
    count: int = Query(20, ge=1, le=10_000),
    sensor: Sensor = Depends(open_sensor),
) -> StreamingResponse:
    """Stream `count` readings of the sensor as CSV, each row sent as soon as it is read, and keep the
    server answering other requests (a health check, another download) all the while.

    Mounted as `app.get("/report")(sensor_report)`.  GET /report?count=3 ->
        200, Content-Type: text/csv; charset=utf-8
        n,celsius
        0,18.0
        1,18.7
        2,19.4
    The version below sends the right rows, but the whole server freezes until the last one: every other
    request waits as long as the readings take.

        async def rows():
            yield "n,celsius\n"
            for n in range(count):
                yield f"{n},{sensor.read(n):.1f}\n"

        return StreamingResponse(rows(), media_type="text/csv")
    """
    # TODO: send the same rows, and keep answering other requests while the sensor is read.
    # GET /report?count=3 -> n,celsius / 0,18.0 / 1,18.7 / 2,19.4; a GET sent meanwhile is answered at once
    def rows():  # a plain generator: Starlette runs each step in a worker thread, off the event loop
        yield "n,celsius\n"
        for n in range(count):
            yield f"{n},{sensor.read(n):.1f}\n"

    return StreamingResponse(rows(), media_type="text/csv")


# == 4.2 ================================================================================================


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    """Stream the audit log as JSON Lines so that a client can always tell a complete export from a failed one.

    Mounted as `app.get("/audit.jsonl")(export_audit)`.  GET /audit.jsonl ->
        200, Content-Type: application/jsonl
        {"id": 1, "at": "2025-01-01T00:00:07Z", "user": "grace", "action": "export"}
        {"id": 2, "at": "2025-01-01T00:00:14Z", "user": "linus", "action": "delete"}
        ...
        {"end": true, "count": 1000}            <- the last line: complete, with the number of events
    If audit.events() fails before its first event, nothing has been sent yet, so answer a real error:
        500, Content-Type: application/json     {"error": "export failed"}
    If it fails after k events, the 200 went out long ago: end the body normally with an error record.
        200 ... the k event lines, then         {"error": "export failed", "after": k}
    Never put the exception's text or a traceback in the response (it may hold host names, passwords,
    SQL): the details, traceback included, go to server_log; the client gets only the words above.
    """
    # TODO: stream the events as JSON Lines ending in the end record; a failure ends as described above.
    # 2 events, then audit.events() fails -> 200: the 2 event lines, then {"error": "export failed", "after": 2}
    events = audit.events()
    try:
        first = next(events, None)  # the status is still ours to choose: fail now and it is a real 500
    except Exception:
        server_log.exception("audit export failed before its first event")
        return JSONResponse({"error": "export failed"}, status_code=500)

    def lines():
        sent = 0
        try:
            if first is not None:
                yield json.dumps(first) + "\n"
                sent += 1
                for event in events:
                    yield json.dumps(event) + "\n"
                    sent += 1
        except Exception:  # the 200 is gone: say so in the body, and end it normally
            server_log.exception("audit export failed after %d events", sent)
            yield json.dumps({"error": "export failed", "after": sent}) + "\n"
            return
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")


def read_audit(url: str) -> Iterator[dict]:
    """Yield the events of the JSON Lines export at `url` one at a time as they arrive, and raise
    ExportFailed unless the export arrived whole.

    A consumer gets every event sent before a failure, then the exception:
        for event in read_audit(url):
            save(event)          # 3 events saved, then ExportFailed("export failed after 3 events")
    ExportFailed (with a short reason) for:
      - a status other than 200: the 500 of export_audit, or a 502 page from a proxy in front of it;
      - an error record {"error": ...};
      - a body that ends, or breaks off (httpx.TransportError), before the {"end": true, ...} record.
    The end record itself is not yielded.
    """
    # TODO: yield each event as it arrives, then raise ExportFailed unless the export arrived whole.
    # 3 event lines, then {"error": "export failed", "after": 3} -> yields the 3 events, then raises ExportFailed
    try:
        with httpx.stream("GET", url, timeout=30) as response:
            if response.status_code != 200:
                raise ExportFailed(f"the export answered {response.status_code}")
            for line in response.iter_lines():
                if not line:
                    continue
                record = json.loads(line)
                if "error" in record:
                    raise ExportFailed(f"{record['error']} after {record.get('after', '?')} events")
                if "end" in record:
                    return
                yield record
    except httpx.TransportError as exc:
        raise ExportFailed(f"the export broke off: {type(exc).__name__}") from exc
    raise ExportFailed("the export ended without its end record")


# == 4.3 ================================================================================================


def follow_ticks(store: TickStore = Depends(tick_store)) -> StreamingResponse:
    """Stream the live tick feed until the client goes away, then close its cursor at once.

    Mounted as `app.get("/ticks")(follow_ticks)`.  GET /ticks -> 200, Content-Type: text/plain; charset=utf-8
        1,10037
        2,10074
        ...               one line "seq,price_cents" per tick, as cursor.fetch() returns them, forever
    Each request opens one cursor (store.open_cursor()); it must be closed within a second of the client
    disconnecting -- an open cursor holds a connection on the database server, and clients leave all
    the time -- and the server must go on answering other requests meanwhile.
    The version below looks right but leaks: when the client leaves, its `finally` (and so cursor.close())
    runs only once the garbage collector gets to it -- seconds, or hours, later.

        def lines():
            cursor = store.open_cursor()
            try:
                while True:
                    for tick in cursor.fetch():
                        yield f"{tick.seq},{tick.price_cents}\n"
            finally:
                cursor.close()

        return StreamingResponse(lines(), media_type="text/plain")
    """
    # TODO: stream the ticks until the client leaves, and close the cursor as soon as it does.
    # GET /ticks -> 1,10037 / 2,10074 / ...; the client disconnects -> store.open_cursors back to 0 within 1 s
    async def lines():  # cancelled when the client leaves: CancelledError, then the finally, within ms
        cursor = store.open_cursor()
        try:
            while True:
                for tick in await run_in_threadpool(cursor.fetch):  # fetch() blocks: not on the event loop
                    yield f"{tick.seq},{tick.price_cents}\n"
        finally:
            cursor.close()

    return StreamingResponse(lines(), media_type="text/plain")


# == 4.4 ================================================================================================


async def relay_feed(feed: Feed = Depends(feed_source)) -> StreamingResponse:
    """Relay a feed that pushes to a client of any speed, holding at most RELAY_QUEUE_SIZE records.

    Mounted as `app.get("/feed")(relay_feed)`.  GET /feed -> 200, Content-Type: application/jsonl
        {"n":1,"kind":"reading","value":919}
        {"n":2,"kind":"reading","value":838}
        ...                every record the feed publishes, in order, each exactly once, then the end.
    A slow client holds the feed back: its publish() calls wait, so the feed never runs more than
    RELAY_QUEUE_SIZE records ahead of what was sent.
    If the feed raises, the records before the error are sent and then the stream breaks off (no clean
    end); when the stream ends or the client goes away, the feed is cancelled, never left running.
    """
    # TODO: send every record the feed publishes, in order, at the client's pace.
    # A feed that publishes b'{"n":1}\n' and b'{"n":2}\n', then returns -> 200, body b'{"n":1}\n{"n":2}\n'
    queue: asyncio.Queue[bytes | Exception | None] = asyncio.Queue(maxsize=RELAY_QUEUE_SIZE)

    async def produce() -> None:
        try:
            await feed(queue.put)
        except Exception as exc:  # handed to the reader, which raises it where the response can see it
            await queue.put(exc)
        else:
            await queue.put(None)  # the end

    async def records() -> AsyncIterator[bytes]:
        task = asyncio.create_task(produce())  # started here: it runs only while someone streams
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            task.cancel()  # the client left, or the feed ended or failed: nothing may keep running

    return StreamingResponse(records(), media_type="application/jsonl")


# == 4.5 ================================================================================================


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    """Serve the regular file at `path` under `root` (subfolders too); 404 for anything else.

    Mounted as `app.get("/files/{path:path}")(download)`.  `path` arrives percent-decoded:
        GET /files/docs/report%202024.csv  ->  path "docs/report 2024.csv" -> 200, the file's bytes,
                                                Content-Length, a media type guessed from the name
        GET /files/../secret.txt, /files/..%2fsecret.txt, /files//etc/passwd, /files/docs (a folder),
        /files/readme.txt%00.png, a symlink that leads out of root, a name too long, a file missing
            ->  404 {"detail":"Not Found"}, the same body for all of them
    A symlink inside root is followed when it leads to a file inside root too.
    """
    # TODO: send the regular file that `path` names under `root`; 404 for anything else.
    # "docs/report 2024.csv" -> 200 with that file's bytes;  "../secret.txt" -> 404 {"detail":"Not Found"}
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=True)  # follows every symlink; raises if nothing is there
    except (OSError, ValueError):  # missing, name too long, NUL byte
        raise HTTPException(status_code=404) from None
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(target)


# == 4.6 ================================================================================================


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    """Dependency with yield: hold one of the `slots.limit` export slots for the whole response, or refuse.

    All slots in use -> raise HTTPException 503 with the header Retry-After: 5 (RETRY_AFTER_SECONDS),
    at once: never wait for a slot.  Otherwise take one (slots.in_use goes up by one), hold it until the
    response is over, then give it back (down by one) however it ended: the stream finished, the export
    failed, or the client went away.
    """
    # TODO: hold one export slot for the whole response, or refuse at once when none is free.
    # limit=2, in_use=2 -> 503 with Retry-After: 5;  in_use=0 -> 1 while the response streams, 0 after it
    if slots.in_use >= slots.limit:
        raise HTTPException(
            status_code=503,
            detail="too many exports are running; try again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    slots.in_use += 1
    try:
        yield
    finally:
        slots.in_use -= 1


async def export_report(
    rows: AsyncIterator[str] = Depends(export_rows),
    slot: None = Depends(export_slot),
) -> StreamingResponse:
    """The heavy CSV export, at most `slots.limit` of them at once.

    Mounted as `app.get("/export.csv")(export_report)`.
    GET /export.csv -> 200, Content-Type: text/csv; charset=utf-8, the lines of `rows` as they come.
    While `limit` exports are streaming, the next GET /export.csv ->
        503 Service Unavailable, Retry-After: 5, {"detail":"too many exports are running; try again later"}
    at once, without starting its rows.  Once one of the running exports ends, fails or loses its
    client, the next request gets in.
    """
    # TODO: send the lines of `rows` as the CSV report (holding the slot is export_slot's job).
    # GET /export.csv -> 200, Content-Type: text/csv; charset=utf-8, "month,orders,revenue_cents", ...
    return StreamingResponse(rows, media_type="text/csv")
