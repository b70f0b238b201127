"""Checks and hints for notebooks/04_gotchas.ipynb (exercises/ch04_gotchas.py): 4.1-4.3.

4.4-4.6 live in ch04_safety.py.

Like chapter 2, each endpoint is mounted on a real FastAPI app served by uvicorn, and the check replaces the
dependency that gives it its data (`open_sensor`, `audit_log`, `tick_store`) with one it can watch:
a sensor that counts its reads and has one slow read, an audit log that fails where the check wants, a
tick store that counts its open cursors.  The verdicts rest on those counts and on the order of events
(how many rows had been read when the first one arrived, whether a cursor was closed after a disconnect).
The two time limits leave wide margins: /ping must answer within 0.5 s while 4.1 streams (a free event
loop answers in a few ms, a blocked one after a second or more), and a cursor must be closed within 1 s of
its client leaving (a cancelled async generator closes it in about 20 ms; a plain one, never by itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import httpx
from fastapi import FastAPI
from starlette.responses import Response

from .._case import Failure, case
from .._endpoints import PAUSE, expect_ok, find_dependency, hiding, media_type_failure, streaming_route

MODULE = "ch04_gotchas"


async def ping() -> str:
    """The check's health check: an `async def` endpoint runs on the event loop, so it answers only while
    the loop is free."""
    return "pong"


def mount(answer: Callable[..., Any], path: str, depends_on: Callable[..., Any], provide: Callable[[], Any]):
    """A FastAPI app with `answer` at `path` and the check's /ping, `depends_on` replaced by `provide`."""
    app = FastAPI()
    app.add_api_route(path, answer, methods=["GET"], **streaming_route(answer))
    app.add_api_route("/ping", ping, methods=["GET"])
    app.dependency_overrides[depends_on] = provide
    return app


def answer_module(answer: Callable[..., Any]) -> Any:
    return sys.modules.get(getattr(answer, "__module__", ""), None)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# -- 4.1 a blocking call in an async generator --------------------------------------------------------

#: How long most readings take, how long the slow one takes, and which one it is.
READ, SLOW_READ, SLOW_N = 0.03, 1.0, 10
#: The longest /ping may wait while the report streams.  A blocked loop makes it wait a whole second or
#: more (the slow read); a free loop answers in a few milliseconds, even on a busy machine.
MAX_PING = 0.5


def celsius(n: int) -> float:
    return 18 + (n * 7 % 50) / 10


class WatchedSensor:
    """The check's sensor: blocking reads like the real one, one of them slow; `reads` counts finished reads."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, n: int) -> float:
        time.sleep(SLOW_READ if n == SLOW_N else READ)
        self.reads += 1
        return celsius(n)


class Pinger:
    """Pings /ping one request after another from its own thread, and keeps the latency of each."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="course-check-pinger", daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    client.get("/ping")
                except httpx.HTTPError:
                    pass
                self.latencies.append(time.perf_counter() - started)
                self._stop.wait(0.02)

    def __enter__(self) -> Pinger:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(12)

    def summary(self) -> str:
        found = sorted(self.latencies)
        if not found:
            return "no ping finished"

        def at(q: float) -> str:
            return ms(found[min(len(found) - 1, int(q * len(found)))])

        return f"p50 {at(0.5)}, p95 {at(0.95)}, max {ms(found[-1])}"


@case("4.1")
def check_sensor_report(sensor_report, ctx) -> str:
    count = 2 * SLOW_N
    what = f"GET /report?count={count}"
    depends_on = find_dependency(sensor_report, "open_sensor", "sensor_report", "sensor: Sensor = Depends(open_sensor)")
    sensor = WatchedSensor()
    server = ctx.serve(mount(sensor_report, "/report", depends_on, lambda: sensor))
    server.client.get("/ping")  # the app is warm before anything is timed

    rows: list[str] = []
    reads_at_first_row = None
    with Pinger(server.url) as pinger:
        try:
            with server.client.stream("GET", f"/report?count={count}") as response:
                expect_ok(response, what, "return the StreamingResponse")
                if not response.headers.get("content-type", "").startswith("text/csv"):
                    raise media_type_failure(what, response, "text/csv; charset=utf-8", 'keep media_type="text/csv"')
                for line in response.iter_lines():
                    rows.append(line)
                    if len(rows) == 2:  # the header and the first reading
                        reads_at_first_row = sensor.reads
        except httpx.TransportError as exc:
            raise Failure(
                f"{what} broke off before its end.",
                expected=f"the header and {count} rows, then a normal end of the body",
                got=f"{len(rows)} lines, then {type(exc).__name__}",
                next="look at what your generator raises; an error after the first row can only cut the stream",
            ) from None

    want = ["n,celsius"] + [f"{n},{celsius(n):.1f}" for n in range(count)]
    if rows and rows[-1] == "":
        rows.pop()
    if rows != want:
        index = next((i for i, (g, w) in enumerate(zip(rows, want)) if g != w), min(len(rows), len(want)))
        raise Failure(
            f"{what} sent {len(rows)} lines; line {index + 1} is not what the sensor read.",
            expected=repr(want[index]) if index < len(want) else f"{len(want)} lines",
            got=repr(rows[index])[:80] if index < len(rows) else "the body ended there",
            next='the header "n,celsius", then one row f"{n},{sensor.read(n):.1f}" per reading n = 0 .. count-1',
        )
    if reads_at_first_row is None or reads_at_first_row >= count:
        raise Failure(
            f"{what}: the first row arrived only after all {count} readings had been taken.",
            expected="each row sent as soon as its reading is taken",
            got=f"nothing but the header until {sensor.reads} of {count} reads were done",
            next="yield each row from the generator right after its read; do not collect the rows first",
        )
    if max(pinger.latencies, default=0.0) > MAX_PING:
        raise Failure(
            f"while {what} was streaming, /ping was kept waiting: the event loop was blocked.",
            expected=f"/ping answered within {ms(MAX_PING)} all along (a free loop answers in a few ms)",
            got=f"/ping latency {pinger.summary()} during the stream, which includes one 1 s read",
            next="sensor.read() blocks: call it from a plain `def` generator or with `await run_in_threadpool(...)`, "
            "never directly in an `async def` one",
        )
    return (
        f"{count} rows of CSV, each sent as soon as it was read; "
        f"/ping kept answering through the stream and its 1 s read: {pinger.summary()}."
    )


# -- 4.2 errors before and during a stream ------------------------------------------------------------

SECRET = "postgresql://audit:hunter2@db-7.internal:5432/audit"
#: Text that must never reach a client: parts of the exception's message, its type, a traceback.
LEAKS = ("hunter2", "db-7.internal", "postgresql", "ConnectionLost", "Traceback")
ERROR = {"error": "export failed"}


class ConnectionLost(ConnectionError):
    """What the check's audit log raises: a database error whose text must stay on the server."""


def event(i: int) -> dict[str, Any]:
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735689600 + 7 * i))
    return {"id": i, "at": at, "user": ("ada", "grace", "linus", "margaret", "ken")[i % 5],
            "action": ("login", "export", "update", "delete", "logout")[i * i % 5]}  # fmt: skip


class FailingLog:
    """An audit log of `count` events that raises ConnectionLost after `fail_after` of them (None: never).

    With `pause_at`, reading event `pause_at` waits until the client has received a line (up to PAUSE);
    `waited` then says whether it had to wait the whole time.
    """

    def __init__(self, count: int, fail_after: int | None = None, pause_at: int | None = None) -> None:
        self.count, self.fail_after, self.pause_at = count, fail_after, pause_at
        self.waited = False
        self.released = threading.Event()

    def events(self) -> Iterator[dict[str, Any]]:
        for i in range(1, self.count + 1):
            if self.fail_after == i - 1:
                raise ConnectionLost(f"server closed the connection unexpectedly: {SECRET}")
            if i == self.pause_at:
                self.waited = not self.released.wait(PAUSE)
            yield event(i)
        if self.fail_after == self.count:
            raise ConnectionLost(f"server closed the connection unexpectedly: {SECRET}")


class Body:
    """What came back for one request: status, Content-Type, the lines, and whether the body broke off."""

    def __init__(self, status: int, media: str, lines: list[str], broke: str | None) -> None:
        self.status, self.media, self.lines, self.broke = status, media, lines, broke

    def records(self, what: str) -> list[Any]:
        found = []
        for number, line in enumerate(self.lines, start=1):
            try:
                found.append(json.loads(line))
            except ValueError:
                raise Failure(
                    f"{what}: line {number} is not JSON.",
                    expected="one JSON object per line",
                    got=repr(line[:80]),
                    next='yield json.dumps(record) + "\\n" for each event and for the last record',
                ) from None
        return found


def fetch(server, log_ref: list[FailingLog], log: FailingLog) -> Body:
    log_ref[0] = log
    lines: list[str] = []
    broke = None
    try:
        with server.client.stream("GET", "/audit.jsonl") as response:
            try:
                for line in response.iter_lines():
                    if line:
                        lines.append(line)
                        log.released.set()
            except httpx.TransportError as exc:
                broke = type(exc).__name__
    except httpx.TransportError as exc:  # not even a status line
        return Body(0, "", [], type(exc).__name__)
    return Body(response.status_code, response.headers.get("content-type", ""), lines, broke)


def no_leak(body: Body, what: str) -> None:
    text = "\n".join(body.lines)
    leaked = [word for word in LEAKS if word in text]
    if leaked:
        raise Failure(
            f"{what}: the response tells the client what the exception said.",
            expected='only {"error": "export failed"}: the details belong in the server log',
            got=f"a body containing {', '.join(repr(w) for w in leaked)} (the database URL, password or traceback)",
            next='send the fixed words {"error": "export failed"} and log the exception with server_log.exception(...)',
        )


def check_complete(body: Body, count: int, what: str) -> None:
    if body.status != 200:
        raise Failure(
            f"{what} answered {body.status} though the log did not fail.",
            expected="200",
            got=f"{body.status} {' '.join(body.lines)[:60]!r}",
            next="return the StreamingResponse",
        )
    if not body.media.startswith("application/jsonl"):
        raise Failure(
            f"{what} answered with Content-Type {body.media or '(none)'!r}.",
            expected="application/jsonl",
            got=body.media or "no Content-Type header",
            next='pass media_type="application/jsonl"',
        )
    if body.broke:
        raise Failure(
            f"{what} broke off though the log did not fail.",
            expected=f"{count} events and the end record, then a normal end of the body",
            got=f"{len(body.lines)} lines, then {body.broke}",
            next="look at what your generator raises after the last event",
        )
    records = body.records(what)
    end = {"end": True, "count": count}
    if records[:count] != [event(i) for i in range(1, count + 1)]:
        index = next((i for i, r in enumerate(records[:count]) if r != event(i + 1)), len(records))
        raise Failure(
            f"{what}: line {index + 1} is not event {index + 1} of the log.",
            expected=json.dumps(event(index + 1))[:100],
            got=json.dumps(records[index])[:100] if index < len(records) else "the body ended there",
            next="yield json.dumps(event) + \"\\n\" for every event of audit.events(), the first one too",
        )
    if records[count:] != [end]:
        raise Failure(
            f"{what}: after the {count} events the body does not end with the end record.",
            expected=json.dumps(end) + ", as the last line: without it a client cannot tell a whole export from a cut one",
            got=" ".join(json.dumps(r) for r in records[count:])[:100] or "nothing: the body ended after the last event",
            next='after the loop, yield json.dumps({"end": True, "count": sent}) + "\\n"',
        )


def check_failed_first(body: Body, what: str) -> None:
    """The log failed before its first event: a real 500 with {"error": "export failed"}."""
    no_leak(body, what)
    expected = '500, Content-Type: application/json, body {"error": "export failed"}'
    if body.status == 200:
        if body.broke:
            got = f"200, then the body broke off ({body.broke}) after {len(body.lines)} lines"
        else:
            got = "200 and the body " + (" ".join(body.lines)[:70] or "(empty)")
        raise Failure(
            f"{what} answered 200 though the log failed before its first event.",
            expected=expected + ": nothing had been sent, so the status could still say so",
            got=got,
            next="take the first event (next(events, None), inside try/except) before you build the StreamingResponse: "
            "the status goes out before the generator's first step",
        )
    if body.status != 500 or not body.media.startswith("application/json"):
        raise Failure(
            f"{what} answered {body.status} ({body.media or 'no Content-Type'}) when the log failed before its first event.",
            expected=expected,
            got=f"{body.status} {' '.join(body.lines)[:60]!r}",
            next='catch the exception around next(events, None) and return JSONResponse({"error": "export failed"}, '
            "status_code=500)",
        )
    try:
        payload = json.loads("\n".join(body.lines))
    except ValueError:
        payload = None
    if payload != ERROR:
        raise Failure(
            f"{what} answered 500 with the wrong body.",
            expected='{"error": "export failed"}',
            got=" ".join(body.lines)[:80] or "an empty body",
            next='return JSONResponse({"error": "export failed"}, status_code=500)',
        )


def check_failed_midway(body: Body, after: int, what: str) -> None:
    """The log failed after `after` events: 200, those events, then the error record, and a normal end."""
    no_leak(body, what)
    record = {"error": "export failed", "after": after}
    expected = f"200, the {after} events, then {json.dumps(record)} as the last line, and a normal end of the body"
    if body.status != 200:
        raise Failure(
            f"{what} answered {body.status} though the log failed only after {after} events.",
            expected=expected,
            got=f"{body.status}: no event was sent before the failure, so all of them had been read first",
            next="stream: take only the first event before building the response, and yield the others as you read them",
        )
    records = body.records(what)
    if records[:after] != [event(i) for i in range(1, after + 1)]:
        raise Failure(
            f"{what}: the {after} events read before the failure were not all sent.",
            expected=expected,
            got=" ".join(json.dumps(r) for r in records)[:100] or "no line",
            next="yield each event as it is read, the first one too",
        )
    rest = records[after:]
    if not rest:
        raise Failure(
            f"{what}: when the log failed after {after} events, the body "
            + (f"broke off ({body.broke})" if body.broke else "ended without a word")
            + " instead of ending with an error record.",
            expected=expected,
            got=f"{after} events, then " + (f"a cut connection ({body.broke})" if body.broke else "a normal end"),
            next="wrap the loop in the generator in try/except Exception; on failure yield the error record and return",
        )
    if isinstance(rest[0], dict) and rest[0].get("end"):
        raise Failure(
            f"{what}: the failure after {after} events was hidden: the body ended as if the export were complete.",
            expected=expected,
            got=f"{after} events, then {json.dumps(rest[0])[:60]}",
            next="yield the error record, not the end record, when the loop fails",
        )
    if rest[0] != record:
        raise Failure(
            f"{what}: the error record after {after} events is not the documented one.",
            expected=json.dumps(record),
            got=json.dumps(rest[0])[:100],
            next='yield json.dumps({"error": "export failed", "after": sent}) + "\\n", sent being the events sent',
        )
    if len(rest) > 1:
        raise Failure(
            f"{what}: lines follow the error record.",
            expected="the error record as the last line",
            got=" ".join(json.dumps(r) for r in rest[1:])[:100],
            next="return from the generator right after yielding the error record",
        )
    if body.broke:
        raise Failure(
            f"{what}: the body broke off ({body.broke}) after the error record.",
            expected="the error record, then a normal end of the body",
            got="a cut connection: something was raised after the error record",
            next="return from the generator after yielding the error record; do not re-raise",
        )


# -- the client half: read_audit against the check's own exports --------------------------------------

PROXY_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"


def line_of(record: dict[str, Any]) -> bytes:
    return (json.dumps(record) + "\n").encode()


def client_app(handed: list[Any]) -> Callable[..., Any]:
    """Exports of 3 events that end in every way read_audit must tell apart.  /complete pauses after its
    first event until the consumer has it (`handed[0]` counts the events read_audit handed over)."""
    events3 = [line_of(event(i)) for i in (1, 2, 3)]

    def raw(chunks: list[bytes], complete: bool = True, pause_after_first: bool = False):
        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/jsonl")]})  # fmt: skip
            for number, chunk in enumerate(chunks, start=1):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if pause_after_first and number == 1:
                    deadline = time.monotonic() + PAUSE
                    while handed[0] < 1 and time.monotonic() < deadline:
                        await asyncio.sleep(0.005)
                    handed[1] = handed[0] < 1  # the pause ran out: nothing was handed over meanwhile
            if complete:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            # else: return with the body unfinished -- uvicorn closes the connection, the client sees it cut

        return app

    async def failed(scope, receive, send):
        await Response(json.dumps(ERROR), status_code=500, media_type="application/json")(scope, receive, send)

    async def proxy(scope, receive, send):
        await Response(PROXY_PAGE, status_code=502, media_type="text/html")(scope, receive, send)

    routes = {
        "/complete": raw([*events3, line_of({"end": True, "count": 3})], pause_after_first=True),
        "/empty": raw([line_of({"end": True, "count": 0})]),
        "/failed": failed,
        "/proxy": proxy,
        "/error-record": raw([*events3, line_of({"error": "export failed", "after": 3})]),
        "/cut-short": raw(events3),
        "/broken": raw(events3, complete=False),
    }

    async def app(scope, receive, send):
        if scope["type"] == "http":
            await routes[scope["path"]](scope, receive, send)

    return app


def consume(read_audit: Callable[[str], Any], url: str, handed: list[Any], expected: type[BaseException] | None):
    """Run read_audit(url) as a consumer would: returns (events handed over, exception raised or None).

    For a complete export (`expected` None) any exception goes on up: the learner's own error, reported with
    its line.  For a failed one it is returned, to be compared with ExportFailed.
    """
    got: list[Any] = []
    handed[0] = 0
    try:
        for item in read_audit(url):
            got.append(item)
            handed[0] += 1
            if len(got) > 100:
                break
    except NotImplementedError:
        raise Failure(
            "read_audit, the client half of this exercise, is not written yet.",
            expected="read_audit(url) yielding the events and raising ExportFailed when the export did not arrive whole",
            got="NotImplementedError",
            next="write read_audit in exercises/ch04_gotchas.py",
        ) from None
    except Exception as exc:  # noqa: BLE001 - which exception it is, is what the check looks at
        if expected is None or isinstance(exc, Failure):
            raise
        return got, exc
    return got, None


def describe(exc: BaseException) -> str:
    """`Type: first line of the message`, with URLs (and so the server's port) left out."""
    text = re.sub(r"\S+://\S+", "<url>", str(exc).splitlines()[0] if str(exc) else "")
    return f"{type(exc).__name__}: {text}"[:120].rstrip(": ")


def check_client(module: Any, ctx) -> str:
    read_audit = getattr(module, "read_audit", None)
    export_failed = getattr(module, "ExportFailed", None)
    if read_audit is None or not isinstance(export_failed, type):
        missing = "read_audit" if read_audit is None else "ExportFailed"
        raise Failure(
            f"the exercise file has no `{missing}`, the client half of this exercise.",
            expected="read_audit(url) and the ExportFailed exception it raises, as the exercise gives them",
            got=f"no `{missing}`",
            next="keep the exercise file's names as they are",
        )
    handed = [0, False]
    server = ctx.serve(client_app(handed))
    three = [event(i) for i in (1, 2, 3)]

    got, _ = consume(read_audit, server.url + "/complete", handed, None)
    if got != three:
        raise Failure(
            "read_audit on a complete export of 3 events handed over the wrong items.",
            expected="the 3 events, as dicts, without the end record",
            got=" ".join(json.dumps(g) for g in got)[:120] or "nothing",
            next='json.loads each line; yield the events, return at {"end": true, ...}',
        )
    if handed[1]:
        raise Failure(
            "read_audit handed over no event until the whole export had arrived.",
            expected="each event yielded as soon as its line arrives",
            got=f"nothing for {PAUSE:g} s after the first line had arrived",
            next="yield inside the loop over response.iter_lines(), within `with httpx.stream(...)`",
        )
    got, _ = consume(read_audit, server.url + "/empty", handed, None)
    if got != []:
        raise Failure(
            "read_audit on a complete export of 0 events handed over items.",
            expected="nothing: the only line is the end record",
            got=" ".join(json.dumps(g) for g in got)[:120],
            next='stop at {"end": true, ...}: it is not an event',
        )

    cases = [
        ("/failed", 'a 500 with {"error": "export failed"}', 0, "check the status before reading any line"),
        ("/proxy", "a 502 HTML page from a proxy", 0, "check the status before reading any line"),
        ("/error-record", 'an error record after 3 events', 3, 'raise ExportFailed when a line has "error"'),
        ("/cut-short", "a body that ends after 3 events without the end record", 3,
         'remember whether {"end": true, ...} came; raise ExportFailed after the loop if it did not'),
        ("/broken", "a connection cut after 3 events", 3,
         "catch httpx.TransportError around the reading and raise ExportFailed from it"),
    ]  # fmt: skip
    for path, story, before, advice in cases:
        got, exc = consume(read_audit, server.url + path, handed, export_failed)
        if exc is None:
            raise Failure(
                f"read_audit on {story} returned normally, as if the export were complete.",
                expected=f"{before} events, then ExportFailed" if before else "ExportFailed, before any event",
                got=f"{len(got)} events and no exception",
                next=advice,
            )
        if not isinstance(exc, export_failed):
            raise Failure(
                f"read_audit on {story} raised {type(exc).__name__}.",
                expected="ExportFailed: one exception a caller can catch for every way an export can fail",
                got=describe(exc),
                next=advice,
            )
        if got != three[:before]:
            raise Failure(
                f"read_audit on {story} handed over {len(got)} events before raising ExportFailed.",
                expected=f"the {before} events that came before the failure, then the exception"
                if before else "no event: the export failed before its first one",
                got=f"{len(got)} events",
                next="yield each event as its line arrives; raise when the failure shows",
            )
    return (
        "read_audit yields events as they arrive and raises ExportFailed for a 500, a 502, an error record, "
        "a missing end record and a cut connection"
    )


@case("4.2")
def check_export_audit(export_audit, ctx) -> str:
    what = "GET /audit.jsonl"
    depends_on = find_dependency(export_audit, "audit_log", "export_audit", "audit: AuditLog = Depends(audit_log)")
    current = [FailingLog(0)]
    app = mount(export_audit, "/audit.jsonl", depends_on, lambda: current[0])
    server = ctx.serve(hiding(app, ConnectionLost))

    check_complete(fetch(server, current, FailingLog(5)), 5, what)
    check_complete(fetch(server, current, FailingLog(0)), 0, what + " of an empty log")
    check_failed_first(fetch(server, current, FailingLog(5, fail_after=0)), what)
    check_failed_midway(fetch(server, current, FailingLog(5, fail_after=3)), 3, what)

    # 200 events: the log pauses at event 100 until the client has a line, so a buffered export shows.
    log = FailingLog(200, pause_at=100)
    body = fetch(server, current, log)
    if log.waited:
        raise Failure(
            f"{what}: no line reached the client while 100 of 200 events had been read.",
            expected="each event sent as it is read",
            got=f"nothing for {PAUSE:g} s while the reading was paused at event 100",
            next="yield each event from the generator as you read it; do not collect them first",
        )
    check_complete(body, 200, what)

    client = check_client(answer_module(export_audit), ctx)
    return (
        "complete exports (0, 5 and 200 events, streamed) end with the end record; a failure before the first "
        "event gives a 500, one after 3 events ends the 200 with the error record; nothing leaked; " + client + "."
    )


# -- 4.3 cleanup when the client disconnects ----------------------------------------------------------

#: How long a cursor may stay open after its client disconnected.
RELEASE = 1.0


class Tick(NamedTuple):  # the same shape as the exercise file's Tick
    seq: int
    price_cents: int


class CountingStore:
    """The check's tick database: counts the cursors opened and closed and the fetches made."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0
        self.fetches = 0
        self._lock = threading.Lock()

    @property
    def open_cursors(self) -> int:
        return self.opened - self.closed

    def open_cursor(self) -> CountingCursor:
        with self._lock:
            self.opened += 1
        return CountingCursor(self)


class CountingCursor:
    def __init__(self, store: CountingStore) -> None:
        self._store = store
        self._seq = 0
        self.closed = False

    def fetch(self) -> list[Tick]:
        if self.closed:
            raise RuntimeError("fetch() on a closed cursor")
        time.sleep(0.02)
        self._store.fetches += 1
        seqs = (self._seq + 1, self._seq + 2)
        self._seq += 2
        return [Tick(seq, tick_price(seq)) for seq in seqs]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with self._store._lock:
                self._store.closed += 1


def tick_price(seq: int) -> int:
    return 10_000 + seq * 37 % 200


@contextlib.contextmanager
def quiet_asyncio() -> Iterator[None]:
    """Keep asyncio's own warnings out of the notebook while the check runs: a generator that spins on a
    closed connection makes asyncio log "socket.send() raised exception." again and again."""
    log = logging.getLogger("asyncio")
    was = log.disabled
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = was


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the garbage collector still, so that what closes a cursor is the code itself, not a collection
    that happens to run in that second.  The collector runs again afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def wait_released(store: CountingStore, limit: float = RELEASE) -> bool:
    deadline = time.monotonic() + limit
    while store.open_cursors and time.monotonic() < deadline:
        time.sleep(0.005)
    return store.open_cursors == 0


def read_ticks(lines: Iterator[str], count: int, what: str) -> list[str]:
    """The next `count` lines of a feed, read from `lines` (a response's iter_lines(), kept open: closing that
    iterator early closes the connection too)."""
    found: list[str] = []
    for line in lines:
        if line:
            found.append(line)
        if len(found) >= count:
            return found
    raise Failure(
        f"{what} ended after {len(found)} ticks.",
        expected="a feed that goes on until the client leaves",
        got=f"{len(found)} lines, then the end of the body",
        next="loop forever: `while True:` around cursor.fetch()",
    )


def answers_ping(server) -> bool:
    try:
        return httpx.get(server.url + "/ping", timeout=RELEASE).status_code == 200
    except httpx.HTTPError:
        return False


def not_released(server, store: CountingStore, what: str) -> Failure:
    """Why the cursor is still open RELEASE seconds after the disconnect, in the learner's terms."""
    if not answers_ping(server):
        server.stop()  # inside quiet_asyncio: the spinning loop's warnings stay unprinted
        return Failure(
            f"after the client of {what} disconnected, the server stopped answering (GET /ping timed out) "
            f"and the cursor stayed open.",
            expected=f"the cursor closed within {RELEASE:g} s, and /ping answered",
            got="a generator that never awaits: it cannot be cancelled, so it runs on, writing to a closed connection",
            next="make the generator await something each time round (await run_in_threadpool(cursor.fetch))",
        )
    fetches = store.fetches
    time.sleep(0.2)
    if store.fetches > fetches:
        return Failure(
            f"after the client of {what} disconnected, the generator went on fetching ticks for nobody.",
            expected=f"the generator stopped and its cursor closed within {RELEASE:g} s",
            got=f"{store.open_cursors} cursor still open, and fetch() still being called",
            next="let CancelledError through: no bare `except:`, no `except BaseException` or "
            "`except asyncio.CancelledError` that carries on",
        )
    gc.collect()
    if store.open_cursors == 0:
        return Failure(
            f"after the client of {what} disconnected, its cursor stayed open until the garbage collector ran.",
            expected=f"the cursor closed within {RELEASE:g} s of the disconnect",
            got="closed only by gc.collect(): a plain generator's `finally` runs when the generator is collected, "
            "because Starlette just stops iterating it",
            next="make lines() an `async def` generator (Starlette cancels it, so its `finally` runs at once) "
            "and call fetch() with `await run_in_threadpool(cursor.fetch)`",
        )
    return Failure(
        f"after the client of {what} disconnected, its cursor was never closed.",
        expected=f"the cursor closed within {RELEASE:g} s of the disconnect",
        got=f"{store.open_cursors} cursor still open, even after a garbage collection",
        next="close the cursor in a `finally` around the loop of an `async def` generator, and let CancelledError through",
    )


@case("4.3")
def check_follow_ticks(follow_ticks, ctx) -> str:
    what = "GET /ticks"
    depends_on = find_dependency(follow_ticks, "tick_store", "follow_ticks", "store: TickStore = Depends(tick_store)")
    store = CountingStore()
    server = ctx.serve(mount(follow_ticks, "/ticks", depends_on, lambda: store))
    timeout = httpx.Timeout(10, read=3)
    with quiet_asyncio(), collector_paused():
        try:
            try:
                follow_and_leave(server, store, timeout, what)
            except httpx.ReadTimeout:
                raise Failure(
                    f"{what} sent no tick for 3 s.",
                    expected="a line per tick as soon as cursor.fetch() returns it",
                    got="nothing",
                    next="yield each tick's line from the generator as you fetch it",
                ) from None
        finally:
            server.stop()
    return (
        f"ticks streamed, one cursor per request; each disconnect (one client, then three at once) closed its "
        f"cursor within {RELEASE:g} s without help from the garbage collector ({store.opened} opened, "
        f"{store.closed} closed); /ping answered after each."
    )


def follow_and_leave(server, store: CountingStore, timeout: httpx.Timeout, what: str) -> None:
    # One client reads 5 ticks and leaves.
    with httpx.Client(base_url=server.url, timeout=timeout) as client:
        with client.stream("GET", "/ticks") as response:
            expect_ok(response, what, "return the StreamingResponse")
            lines = read_ticks(response.iter_lines(), 5, what)
            open_while_streaming = store.open_cursors
        # Leaving the block closed the response: the connection dropped, as when a browser tab closes.
    want = [f"{seq},{tick_price(seq)}" for seq in range(1, 6)]
    if lines != want:
        raise Failure(
            f"{what} sent the wrong lines.",
            expected=" / ".join(want),
            got=" / ".join(lines)[:100],
            next='one line f"{tick.seq},{tick.price_cents}\\n" per tick, in the order fetch() returns them',
        )
    if open_while_streaming != 1:
        raise Failure(
            f"{what} had {open_while_streaming} cursors open while it streamed.",
            expected="exactly one, opened with store.open_cursor() for this request",
            got=f"{store.opened} opened, {store.closed} closed",
            next="open one cursor per request, in the generator, and keep it until the stream ends",
        )
    if not wait_released(store):
        raise not_released(server, store, what)
    if not answers_ping(server):
        raise Failure(
            f"after the client of {what} disconnected, the server stopped answering.",
            expected="GET /ping answered at once",
            got=f"no answer within {RELEASE:g} s",
            next="make sure nothing keeps running on the event loop after the client has gone",
        )

    # Three clients at once, each leaving after one tick.  Their line iterators stay referenced until the
    # block ends: closing one early would close its connection too.
    with httpx.Client(base_url=server.url, timeout=timeout) as client, contextlib.ExitStack() as streams:
        feeds = [streams.enter_context(client.stream("GET", "/ticks")).iter_lines() for _ in range(3)]
        for feed in feeds:
            read_ticks(feed, 1, what)
        open_at_once = store.open_cursors
    if open_at_once != 3:
        raise Failure(
            f"three clients of {what} at once had {open_at_once} cursors open.",
            expected="3: one per request",
            got=f"{open_at_once}",
            next="open the cursor inside the request (in the generator), not once for all requests",
        )
    if not wait_released(store):
        raise not_released(server, store, what + " (three clients)")
    if not answers_ping(server):
        raise Failure(
            f"after three clients of {what} disconnected, the server stopped answering.",
            expected="GET /ping answered at once",
            got=f"no answer within {RELEASE:g} s",
            next="make sure nothing keeps running on the event loop after the client has gone",
        )
