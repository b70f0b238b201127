"""Exercise 4.3 follow_ticks: stream a live feed until the client leaves, and close its cursor at once.

The endpoint is mounted on a real FastAPI app served by uvicorn, with a tick store that counts the cursors
opened and closed and the fetches made.  Clients read a few ticks and hang up -- one, then three at once --
and each cursor must be closed within 1 s of its client leaving (a cancelled async generator closes it in
about 20 ms; a plain one, never by itself), the garbage collector held still meanwhile so that what closes
it is the code itself.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import TickCursor, TickStore

from .._case import Failure, case
from .._endpoints import expect_ok, find_dependency
from ...measure import collector_paused
from ._gotchas_apps import mount

WHAT = "GET /ticks"
#: How long a cursor may stay open after its client disconnected.
RELEASE = 1.0
#: How long a client waits for a tick before the check says none came.
TIMEOUT = httpx.Timeout(10, read=3)


class CountingStore(TickStore):
    """The check's tick database: counts the cursors opened and closed and the fetches made."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = self.closed = self.fetches = 0

    def open_cursor(self) -> CountingCursor:
        with self._lock:
            self.opened += 1
            self.open_cursors += 1
        return CountingCursor(self)

    def _released(self) -> None:
        with self._lock:
            self.closed += 1
            self.open_cursors -= 1


class CountingCursor(TickCursor):
    def fetch(self):
        ticks = super().fetch()
        self._store.fetches += 1
        return ticks


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
def held_still(server, stop: bool = False) -> Iterator[None]:
    """asyncio quiet and the collector paused while clients come and go; a tick awaited for 3 s is a failure.
    When the check fails (or `stop`), the server stops while asyncio is still quiet: a generator left
    spinning on a closed connection would go on warning until it did."""
    with quiet_asyncio(), collector_paused():
        try:
            yield
        except httpx.ReadTimeout:
            server.stop()
            raise Failure(
                f"{WHAT} sent no tick for 3 s.",
                expected="a line per tick as soon as cursor.fetch() returns it",
                got="nothing",
                next="yield each tick's line from the generator as you fetch it",
            ) from None
        except BaseException:
            server.stop()
            raise
        finally:
            if stop:
                server.stop()


def wait_released(store: CountingStore, limit: float = RELEASE) -> bool:
    deadline = time.monotonic() + limit
    while store.open_cursors and time.monotonic() < deadline:
        time.sleep(0.005)
    return store.open_cursors == 0


def read_ticks(lines: Iterator[str], count: int) -> list[str]:
    """The next `count` lines of a feed, read from `lines` (a response's iter_lines(), kept open: closing that
    iterator early closes the connection too)."""
    found: list[str] = []
    for line in lines:
        if line:
            found.append(line)
        if len(found) >= count:
            return found
    raise Failure(
        f"{WHAT} ended after {len(found)} ticks.",
        expected="a feed that goes on until the client leaves",
        got=f"{len(found)} lines, then the end of the body",
        next="loop forever: `while True:` around cursor.fetch()",
    )


def answers_ping(server) -> bool:
    try:
        return httpx.get(server.url + "/ping", timeout=RELEASE).status_code == 200
    except httpx.HTTPError:
        return False


def expect_answering(server, who: str) -> None:
    """/ping answers once the cursors are closed: nothing the clients started still holds the event loop."""
    if not answers_ping(server):
        raise Failure(
            f"after {who} of {WHAT} disconnected, the server stopped answering.",
            expected="GET /ping answered at once",
            got=f"no answer within {RELEASE:g} s",
            next="make sure nothing keeps running on the event loop after the client has gone",
        )


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
def sends_each_tick_as_it_is_fetched(follow_ticks, ctx):
    """One client reads 5 ticks and leaves; whether its cursor is closed in time is the third case's verdict,
    but it is measured here, while the collector is still held."""
    depends_on = find_dependency(follow_ticks, "tick_store", "follow_ticks", "store: TickStore = Depends(tick_store)")
    store = ctx.found["store"] = CountingStore()
    server = ctx.found["server"] = ctx.serve(mount(follow_ticks, "/ticks", depends_on, lambda: store))
    with held_still(server), httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        with client.stream("GET", "/ticks") as response:
            expect_ok(response, WHAT, "return the StreamingResponse")
            lines = read_ticks(response.iter_lines(), 5)
            ctx.found["open_while_streaming"] = store.open_cursors
        # Leaving the block closed the response: the connection dropped, as when a browser tab closes.
        ctx.found["left_open"] = None if wait_released(store) else not_released(server, store, WHAT)
        if ctx.found["left_open"] is not None:
            server.stop()  # the check fails either way; a generator left running would warn until then
    want = [f"{seq},{tick_price(seq)}" for seq in range(1, 6)]
    if lines != want:
        raise Failure(
            f"{WHAT} sent the wrong lines.",
            expected=" / ".join(want),
            got=" / ".join(lines)[:100],
            next='one line f"{tick.seq},{tick.price_cents}\\n" per tick, in the order fetch() returns them',
        )


@case("4.3")
def opens_one_cursor_per_request(follow_ticks, ctx):
    store, open_while_streaming = ctx.found["store"], ctx.found["open_while_streaming"]
    if open_while_streaming != 1:
        raise Failure(
            f"{WHAT} had {open_while_streaming} cursors open while it streamed.",
            expected="exactly one, opened with store.open_cursor() for this request",
            got=f"{store.opened} opened, {store.closed} closed",
            next="open one cursor per request, in the generator, and keep it until the stream ends",
        )
    return "ticks streamed, one cursor per request"


@case("4.3")
def closes_the_cursor_as_soon_as_the_client_leaves(follow_ticks, ctx):
    server = ctx.found["server"]
    with held_still(server):
        if ctx.found["left_open"] is not None:
            raise ctx.found["left_open"]
        expect_answering(server, "the client")


@case("4.3")
def closes_each_cursor_when_three_clients_leave_at_once(follow_ticks, ctx):
    """Three clients read a tick each and leave.  Their line iterators stay referenced until the block ends:
    closing one early would close its connection too."""
    server, store = ctx.found["server"], ctx.found["store"]
    with held_still(server):
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client, contextlib.ExitStack() as streams:
            feeds = [streams.enter_context(client.stream("GET", "/ticks")).iter_lines() for _ in range(3)]
            for feed in feeds:
                read_ticks(feed, 1)
            open_at_once = store.open_cursors
        if open_at_once != 3:
            raise Failure(
                f"three clients of {WHAT} at once had {open_at_once} cursors open.",
                expected="3: one per request",
                got=f"{open_at_once}",
                next="open the cursor inside the request (in the generator), not once for all requests",
            )
        if not wait_released(store):
            raise not_released(server, store, WHAT + " (three clients)")
    return (
        f"each disconnect (one client, then three at once) closed its cursor within {RELEASE:g} s without help "
        f"from the garbage collector ({store.opened} opened, {store.closed} closed)"
    )


@case("4.3")
def keeps_answering_after_three_clients_leave(follow_ticks, ctx):
    server = ctx.found["server"]
    with held_still(server, stop=True):
        expect_answering(server, "three clients")
    return "/ping answered after each."
