"""Exercise 4.2 export_audit and read_audit: errors the client can see, before a stream and in the middle of it.

The export is mounted on a real FastAPI app served by uvicorn, with an audit log that fails where the check
wants (before its first event, after three) and that can pause until the client has a line, so that a
buffered export shows.  Then read_audit, the client half, reads the check's own exports, which end in every
way it must tell apart: complete, empty, a 500, a proxy's 502, an error record, no end record, a cut body.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from starlette.responses import Response

from course_lib.support.ch04 import AuditLog, ExportFailed

from .._case import Failure, case
from .._endpoints import PAUSE, find_dependency, hiding
from ._gotchas_apps import mount

WHAT = "GET /audit.jsonl"
SECRET = "postgresql://audit:hunter2@db-7.internal:5432/audit"
#: Text that must never reach a client: parts of the exception's message, its type, a traceback.
LEAKS = ("hunter2", "db-7.internal", "postgresql", "ConnectionLost", "Traceback")
ERROR = {"error": "export failed"}
#: The events of the audit log, as its events() gives them: EVENTS[i - 1] is event i.
EVENTS = list(AuditLog(200).events())


class ConnectionLost(ConnectionError):
    """What the check's audit log raises: a database error whose text must stay on the server."""


class FailingLog(AuditLog):
    """An audit log of `count` events that raises ConnectionLost after `fail_after` of them (None: never).

    With `pause_at`, reading event `pause_at` waits until the client has received a line (up to PAUSE);
    `waited` then says whether it had to wait the whole time.
    """

    def __init__(self, count: int, fail_after: int | None = None, pause_at: int | None = None) -> None:
        super().__init__(count)
        self.fail_after, self.pause_at = fail_after, pause_at
        self.waited = False
        self.released = threading.Event()

    def events(self) -> Iterator[dict[str, Any]]:
        for i, event in enumerate(super().events(), start=1):
            if self.fail_after == i - 1:
                raise ConnectionLost(f"server closed the connection unexpectedly: {SECRET}")
            if i == self.pause_at:
                self.waited = not self.released.wait(PAUSE)
            yield event
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


def export(ctx, log: FailingLog) -> Body:
    """GET /audit.jsonl from the learner's export, served with `log` as its audit log."""
    ctx.found["log"] = log
    lines: list[str] = []
    broke = None
    try:
        with ctx.found["server"].client.stream("GET", "/audit.jsonl") as response:
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


def no_leak(body: Body) -> None:
    text = "\n".join(body.lines)
    leaked = [word for word in LEAKS if word in text]
    if leaked:
        raise Failure(
            f"{WHAT}: the response tells the client what the exception said.",
            expected='only {"error": "export failed"}: the details belong in the server log',
            got=f"a body containing {', '.join(repr(w) for w in leaked)} (the database URL, password or traceback)",
            next='send the fixed words {"error": "export failed"} and log the exception with server_log.exception(...)',
        )


def expect_complete(body: Body, count: int, what: str) -> None:
    """A whole export of `count` events: 200, application/jsonl, the events, the end record, a normal end."""
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
    expect_events_then_end(body.records(what), count, what)


def expect_events_then_end(records: list[Any], count: int, what: str) -> None:
    if records[:count] != EVENTS[:count]:
        index = next((i for i, r in enumerate(records[:count]) if r != EVENTS[i]), len(records))
        raise Failure(
            f"{what}: line {index + 1} is not event {index + 1} of the log.",
            expected=json.dumps(EVENTS[index])[:100],
            got=json.dumps(records[index])[:100] if index < len(records) else "the body ended there",
            next="yield json.dumps(event) + \"\\n\" for every event of audit.events(), the first one too",
        )
    end = {"end": True, "count": count}
    if records[count:] != [end]:
        raise Failure(
            f"{what}: after the {count} events the body does not end with the end record.",
            expected=json.dumps(end) + ", as the last line: without it a client cannot tell a whole export from a cut one",
            got=" ".join(json.dumps(r) for r in records[count:])[:100] or "nothing: the body ended after the last event",
            next='after the loop, yield json.dumps({"end": True, "count": sent}) + "\\n"',
        )


# -- export_audit, the server half ---------------------------------------------------------------------


@case("4.2")
def ends_complete_exports_with_the_end_record(export_audit, ctx):
    """5 events, none, and 200 -- those paused at event 100 until the client has a line: whether it had one
    is for streams_each_event_as_it_is_read to judge."""
    depends_on = find_dependency(export_audit, "audit_log", "export_audit", "audit: AuditLog = Depends(audit_log)")
    app = mount(export_audit, "/audit.jsonl", depends_on, lambda: ctx.found["log"])
    ctx.found["server"] = ctx.serve(hiding(app, ConnectionLost))
    expect_complete(export(ctx, FailingLog(5)), 5, WHAT)
    expect_complete(export(ctx, FailingLog(0)), 0, WHAT + " of an empty log")
    long_log = FailingLog(200, pause_at=100)
    expect_complete(export(ctx, long_log), 200, WHAT)
    ctx.found["buffered"] = long_log.waited
    return "complete exports (0, 5 and 200 events, streamed) end with the end record"


@case("4.2")
def answers_500_when_the_log_fails_at_once(export_audit, ctx):
    """Nothing was sent before the failure, so the status line can still say so."""
    body = ctx.found["failed_first"] = export(ctx, FailingLog(5, fail_after=0))
    no_leak(body)
    if body.status == 200:
        if body.broke:
            got = f"200, then the body broke off ({body.broke}) after {len(body.lines)} lines"
        else:
            got = "200 and the body " + (" ".join(body.lines)[:70] or "(empty)")
        raise Failure(
            f"{WHAT} answered 200 though the log failed before its first event.",
            expected='500, Content-Type: application/json, body {"error": "export failed"}: '
            "nothing had been sent, so the status could still say so",
            got=got,
            next="take the first event (next(events, None), inside try/except) before you build the StreamingResponse: "
            "the status goes out before the generator's first step",
        )


@case("4.2")
def says_only_export_failed_in_that_500(export_audit, ctx):
    body = ctx.found["failed_first"]
    if body.status != 500 or not body.media.startswith("application/json"):
        raise Failure(
            f"{WHAT} answered {body.status} ({body.media or 'no Content-Type'}) when the log failed before its first event.",
            expected='500, Content-Type: application/json, body {"error": "export failed"}',
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
            f"{WHAT} answered 500 with the wrong body.",
            expected='{"error": "export failed"}',
            got=" ".join(body.lines)[:80] or "an empty body",
            next='return JSONResponse({"error": "export failed"}, status_code=500)',
        )


#: The log of the next cases fails after this many events: the 200 and those events are gone by then.
AFTER = 3
MIDWAY = (
    f'200, the {AFTER} events, then {{"error": "export failed", "after": {AFTER}}} as the last line, '
    "and a normal end of the body"
)


@case("4.2")
def sends_the_events_read_before_a_failure(export_audit, ctx):
    body = ctx.found["failed_midway"] = export(ctx, FailingLog(5, fail_after=AFTER))
    no_leak(body)
    if body.status != 200:
        raise Failure(
            f"{WHAT} answered {body.status} though the log failed only after {AFTER} events.",
            expected=MIDWAY,
            got=f"{body.status}: no event was sent before the failure, so all of them had been read first",
            next="stream: take only the first event before building the response, and yield the others as you read them",
        )
    records = ctx.found["records"] = body.records(WHAT)
    if records[:AFTER] != EVENTS[:AFTER]:
        raise Failure(
            f"{WHAT}: the {AFTER} events read before the failure were not all sent.",
            expected=MIDWAY,
            got=" ".join(json.dumps(r) for r in records)[:100] or "no line",
            next="yield each event as it is read, the first one too",
        )


@case("4.2")
def ends_a_failed_export_with_the_error_record(export_audit, ctx):
    body, rest = ctx.found["failed_midway"], ctx.found["records"][AFTER:]
    if not rest:
        raise Failure(
            f"{WHAT}: when the log failed after {AFTER} events, the body "
            + (f"broke off ({body.broke})" if body.broke else "ended without a word")
            + " instead of ending with an error record.",
            expected=MIDWAY,
            got=f"{AFTER} events, then " + (f"a cut connection ({body.broke})" if body.broke else "a normal end"),
            next="wrap the loop in the generator in try/except Exception; on failure yield the error record and return",
        )
    if isinstance(rest[0], dict) and rest[0].get("end"):
        raise Failure(
            f"{WHAT}: the failure after {AFTER} events was hidden: the body ended as if the export were complete.",
            expected=MIDWAY,
            got=f"{AFTER} events, then {json.dumps(rest[0])[:60]}",
            next="yield the error record, not the end record, when the loop fails",
        )
    if rest[0] != {"error": "export failed", "after": AFTER}:
        raise Failure(
            f"{WHAT}: the error record after {AFTER} events is not the documented one.",
            expected=json.dumps({"error": "export failed", "after": AFTER}),
            got=json.dumps(rest[0])[:100],
            next='yield json.dumps({"error": "export failed", "after": sent}) + "\\n", sent being the events sent',
        )


@case("4.2")
def ends_the_body_normally_after_the_error_record(export_audit, ctx):
    body, rest = ctx.found["failed_midway"], ctx.found["records"][AFTER:]
    if len(rest) > 1:
        raise Failure(
            f"{WHAT}: lines follow the error record.",
            expected="the error record as the last line",
            got=" ".join(json.dumps(r) for r in rest[1:])[:100],
            next="return from the generator right after yielding the error record",
        )
    if body.broke:
        raise Failure(
            f"{WHAT}: the body broke off ({body.broke}) after the error record.",
            expected="the error record, then a normal end of the body",
            got="a cut connection: something was raised after the error record",
            next="return from the generator after yielding the error record; do not re-raise",
        )
    # Both failures were also read for leaks (no_leak), before anything else was said about them.
    return (
        "a failure before the first event gives a 500, one after 3 events ends the 200 with the error record; "
        "nothing leaked"
    )


@case("4.2")
def streams_each_event_as_it_is_read(export_audit, ctx):
    """The 200-event export of the first case paused at event 100 until the client had a line."""
    if ctx.found["buffered"]:
        raise Failure(
            f"{WHAT}: no line reached the client while 100 of 200 events had been read.",
            expected="each event sent as it is read",
            got=f"nothing for {PAUSE:g} s while the reading was paused at event 100",
            next="yield each event from the generator as you read it; do not collect them first",
        )


# -- read_audit, the client half -----------------------------------------------------------------------

PROXY_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n"


def line_of(record: dict[str, Any]) -> bytes:
    return (json.dumps(record) + "\n").encode()


def raw_export(chunks: list[bytes], handed: list[Any], complete: bool = True, pause_after_first: bool = False):
    """An ASGI app sending `chunks` as a 200 application/jsonl body, ending it normally when `complete`
    (else uvicorn closes the connection: the client sees it cut).  With `pause_after_first`, it waits after
    the first chunk until the consumer has an event (`handed[0]`); `handed[1]` says whether it waited in vain."""

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

    return app


def client_app(handed: list[Any]) -> Callable[..., Any]:
    """Exports of 3 events that end in every way read_audit must tell apart, one path each."""
    events3 = [line_of(event) for event in EVENTS[:3]]

    async def failed(scope, receive, send):
        await Response(json.dumps(ERROR), status_code=500, media_type="application/json")(scope, receive, send)

    async def proxy(scope, receive, send):
        await Response(PROXY_PAGE, status_code=502, media_type="text/html")(scope, receive, send)

    routes = {
        "/complete": raw_export([*events3, line_of({"end": True, "count": 3})], handed, pause_after_first=True),
        "/empty": raw_export([line_of({"end": True, "count": 0})], handed),
        "/failed": failed,
        "/proxy": proxy,
        "/error-record": raw_export([*events3, line_of({"error": "export failed", "after": 3})], handed),
        "/cut-short": raw_export(events3, handed),
        "/broken": raw_export(events3, handed, complete=False),
    }

    async def app(scope, receive, send):
        if scope["type"] == "http":
            await routes[scope["path"]](scope, receive, send)

    return app


def consume(ctx, path: str, expected: type[BaseException] | None = None) -> tuple[list[Any], BaseException | None]:
    """Run read_audit on the check's export at `path` as a consumer would: (events handed over, exception
    raised or None).  For a complete export (`expected` None) any exception goes on up: the learner's own
    error, reported with its line.  For a failed one it is returned, to be compared with ExportFailed."""
    if "exports" not in ctx.found:
        ctx.found["handed"] = [0, False]
        ctx.found["exports"] = ctx.serve(client_app(ctx.found["handed"]))
    read_audit, handed = ctx.answer("read_audit"), ctx.found["handed"]
    got: list[Any] = []
    handed[0] = 0
    try:
        for item in read_audit(ctx.found["exports"].url + path):
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


@case("4.2")
def read_audit_yields_the_events_of_a_complete_export(export_audit, ctx):
    got, _ = consume(ctx, "/complete")
    if got != EVENTS[:3]:
        raise Failure(
            "read_audit on a complete export of 3 events handed over the wrong items.",
            expected="the 3 events, as dicts, without the end record",
            got=" ".join(json.dumps(g) for g in got)[:120] or "nothing",
            next='json.loads each line; yield the events, return at {"end": true, ...}',
        )
    if ctx.found["handed"][1]:
        raise Failure(
            "read_audit handed over no event until the whole export had arrived.",
            expected="each event yielded as soon as its line arrives",
            got=f"nothing for {PAUSE:g} s after the first line had arrived",
            next="yield inside the loop over response.iter_lines(), within `with httpx.stream(...)`",
        )
    got, _ = consume(ctx, "/empty")
    if got != []:
        raise Failure(
            "read_audit on a complete export of 0 events handed over items.",
            expected="nothing: the only line is the end record",
            got=" ".join(json.dumps(g) for g in got)[:120],
            next='stop at {"end": true, ...}: it is not an event',
        )


#: The failed exports read_audit must raise ExportFailed for: path, story, events before the failure, advice.
FAILED_EXPORTS = [
    ("/failed", 'a 500 with {"error": "export failed"}', 0, "check the status before reading any line"),
    ("/proxy", "a 502 HTML page from a proxy", 0, "check the status before reading any line"),
    ("/error-record", 'an error record after 3 events', 3, 'raise ExportFailed when a line has "error"'),
    ("/cut-short", "a body that ends after 3 events without the end record", 3,
     'remember whether {"end": true, ...} came; raise ExportFailed after the loop if it did not'),
    ("/broken", "a connection cut after 3 events", 3,
     "catch httpx.TransportError around the reading and raise ExportFailed from it"),
]  # fmt: skip


@case("4.2")
def read_audit_raises_export_failed_for_every_failed_export(export_audit, ctx):
    for path, story, before, advice in FAILED_EXPORTS:
        got, exc = consume(ctx, path, ExportFailed)
        if exc is None:
            raise Failure(
                f"read_audit on {story} returned normally, as if the export were complete.",
                expected=f"{before} events, then ExportFailed" if before else "ExportFailed, before any event",
                got=f"{len(got)} events and no exception",
                next=advice,
            )
        if not isinstance(exc, ExportFailed):
            raise Failure(
                f"read_audit on {story} raised {type(exc).__name__}.",
                expected="ExportFailed: one exception a caller can catch for every way an export can fail",
                got=describe(exc),
                next=advice,
            )
        if got != EVENTS[:before]:
            raise Failure(
                f"read_audit on {story} handed over {len(got)} events before raising ExportFailed.",
                expected=f"the {before} events that came before the failure, then the exception"
                if before else "no event: the export failed before its first one",
                got=f"{len(got)} events",
                next="yield each event as its line arrives; raise when the failure shows",
            )
    return (
        "read_audit yields events as they arrive and raises ExportFailed for a 500, a 502, an error record, "
        "a missing end record and a cut connection."
    )
