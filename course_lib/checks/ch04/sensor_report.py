"""Exercise 4.1 sensor_report: stream a CSV report of blocking sensor reads without blocking the event loop.

The check mounts the endpoint on a real FastAPI app served by uvicorn, gives it a sensor that counts its
reads and has one slow read, and pings /ping from another thread all the while.  The verdicts rest on how
many readings had been taken when the first row arrived, and on the pings' latency: /ping must answer within
0.5 s while the report streams -- a free event loop answers in a few ms, a blocked one after a second or more.
"""

from __future__ import annotations

import time

import httpx

from course_lib.support.ch04 import Sensor

from .._case import Failure, case
from .._endpoints import expect_ok, find_dependency, media_type_failure
from ...measure import Pinger, ms
from ._gotchas_apps import mount

#: How long most readings take, how long the slow one takes, and which one it is.
READ, SLOW_READ, SLOW_N = 0.03, 1.0, 10
#: The readings the check asks for: the slow one comes midway.
COUNT = 2 * SLOW_N
WHAT = f"GET /report?count={COUNT}"
#: The longest /ping may wait while the report streams.  A blocked loop makes it wait a whole second or
#: more (the slow read); a free loop answers in a few milliseconds, even on a busy machine.
MAX_PING = 0.5


def celsius(n: int) -> float:
    return 18 + (n * 7 % 50) / 10


class WatchedSensor(Sensor):
    """The check's sensor: blocking reads like the real one, one of them slow; `reads` counts finished reads."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, n: int) -> float:
        time.sleep(SLOW_READ if n == SLOW_N else READ)
        self.reads += 1
        return celsius(n)


def stream_report(server, sensor: WatchedSensor) -> tuple[list[str], int | None]:
    """GET the report: its lines, and how many reads were done when the first row came."""
    rows: list[str] = []
    reads_at_first_row = None
    try:
        with server.client.stream("GET", f"/report?count={COUNT}") as response:
            expect_ok(response, WHAT, "return the StreamingResponse")
            if not response.headers.get("content-type", "").startswith("text/csv"):
                raise media_type_failure(WHAT, response, "text/csv; charset=utf-8", 'keep media_type="text/csv"')
            for line in response.iter_lines():
                rows.append(line)
                if len(rows) == 2:  # the header and the first reading
                    reads_at_first_row = sensor.reads
    except httpx.TransportError as exc:
        raise Failure(
            f"{WHAT} broke off before its end.",
            expected=f"the header and {COUNT} rows, then a normal end of the body",
            got=f"{len(rows)} lines, then {type(exc).__name__}",
            next="look at what your generator raises; an error after the first row can only cut the stream",
        ) from None
    if rows and rows[-1] == "":
        rows.pop()
    return rows, reads_at_first_row


@case("4.1")
def sends_the_sensors_rows(sensor_report, ctx):
    depends_on = find_dependency(sensor_report, "open_sensor", "sensor_report", "sensor: Sensor = Depends(open_sensor)")
    sensor = ctx.found["sensor"] = WatchedSensor()
    server = ctx.serve(mount(sensor_report, "/report", depends_on, lambda: sensor))
    server.client.get("/ping")  # the app is warm before anything is timed
    with Pinger(server.url) as pinger:
        rows, ctx.found["reads_at_first_row"] = stream_report(server, sensor)
    ctx.found["pinger"] = pinger
    want = ["n,celsius"] + [f"{n},{celsius(n):.1f}" for n in range(COUNT)]
    if rows != want:
        index = next((i for i, (g, w) in enumerate(zip(rows, want)) if g != w), min(len(rows), len(want)))
        raise Failure(
            f"{WHAT} sent {len(rows)} lines; line {index + 1} is not what the sensor read.",
            expected=repr(want[index]) if index < len(want) else f"{len(want)} lines",
            got=repr(rows[index])[:80] if index < len(rows) else "the body ended there",
            next='the header "n,celsius", then one row f"{n},{sensor.read(n):.1f}" per reading n = 0 .. count-1',
        )


@case("4.1")
def sends_each_row_as_soon_as_it_is_read(sensor_report, ctx):
    reads_at_first_row = ctx.found["reads_at_first_row"]
    if reads_at_first_row is None or reads_at_first_row >= COUNT:
        raise Failure(
            f"{WHAT}: the first row arrived only after all {COUNT} readings had been taken.",
            expected="each row sent as soon as its reading is taken",
            got=f"nothing but the header until {ctx.found['sensor'].reads} of {COUNT} reads were done",
            next="yield each row from the generator right after its read; do not collect the rows first",
        )
    return f"{COUNT} rows of CSV, each sent as soon as it was read"


@case("4.1")
def keeps_the_event_loop_free(sensor_report, ctx):
    """/ping, asked again and again while the report streams, answered within MAX_PING each time."""
    pinger = ctx.found["pinger"]
    if max(pinger.latencies, default=0.0) > MAX_PING:
        raise Failure(
            f"while {WHAT} was streaming, /ping was kept waiting: the event loop was blocked.",
            expected=f"/ping answered within {ms(MAX_PING)} all along (a free loop answers in a few ms)",
            got=f"/ping latency {pinger.summary()} during the stream, which includes one 1 s read",
            next="sensor.read() blocks: call it from a plain `def` generator or with `await run_in_threadpool(...)`, "
            "never directly in an `async def` one",
        )
    return f"/ping kept answering through the stream and its 1 s read: {pinger.summary()}."
