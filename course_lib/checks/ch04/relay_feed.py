"""Exercise 4.4 relay_feed: a bounded queue between a feed that pushes and a client of any speed.

The check's feed counts the records it has published and the check counts, at the ASGI `send()`, the records
handed to the server.  Their difference is what the app itself holds.  Measuring at the client instead would
count the socket buffers too: on Linux loopback a client that stops reading lets a server push about 4 MB more
into the kernel (measured: 3.0-3.9 MB with 1-4 KiB records from a plain generator, 4.3 MiB with this check's
16 KiB records; default tcp_wmem/tcp_rmem, and a smaller SO_RCVBUF on the client barely changes it), which no
bound in the app could prevent.  A bounded relay holds at most RELAY_QUEUE_SIZE + 1 records (the queue and the
one being sent); an unbounded one runs ahead until the check's feed stops it at RUNAWAY records.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import threading
import time
from typing import Any, Callable

from course_lib.support.ch04 import RELAY_QUEUE_SIZE

from .._case import Failure, case
from .._endpoints import find_dependency, hiding
from .._tools import KiB, size
from ._safety_http import connect, hang_up, mount

WHAT = "GET /feed"
#: Records the app may hold at most: the queue's and one more, plus a little slack for a different shape.
MOST_AHEAD = RELAY_QUEUE_SIZE + 4
#: How far ahead the check's feed may run before it stops by itself: an unbounded queue reaches this at once.
RUNAWAY = 256
RECORD_SIZE = 16 * KiB
#: How long the feed must wait in one publish() before the check calls it stalled (backpressure reached it).
STALL = 0.25
#: How soon a feed must be stopped once its client has gone.
STOP_WITHIN = 1.0
FEED_FAILS_AFTER = 50

_RECORD_NUMBER = re.compile(rb'\{"n":(\d+),')


def feed_record(n: int) -> bytes:
    """Record `n` of the check's feed: one JSON line of RECORD_SIZE bytes, different for every n."""
    head = b'{"n":%d,"pad":"' % n
    fill = b"%08x" % (n * 2654435761 % 2**32)
    pad = (fill * (RECORD_SIZE // 8))[: RECORD_SIZE - len(head) - 3]
    return head + pad + b'"}\n'


def records_size(count: int) -> str:
    return f"{count} records ({size(count * RECORD_SIZE)})"


class FeedBroke(Exception):
    """The check's feed failing on purpose."""


class CountingFeed:
    """The check's feed: publishes numbered records until told to finish, and counts.

    `produced` counts the records publish() has taken, `sent` the ones the app has handed to the server
    (counted by `counting()`); `max_ahead` is the most the app ever held between the two.  The feed stops
    by itself once it is RUNAWAY records ahead, so an unbounded queue cannot fill the memory.
    """

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.produced = 0
        self.sent = 0
        self.max_ahead = 0
        self.runaway = False
        self.blocked_since: float | None = None  # when the publish() now waiting began
        self.finish = threading.Event()
        self.ended: str | None = None  # returned | cancelled | raised
        self.cap = 50_000  # a safety stop: 200 MB of records

    def stalled(self) -> bool:
        since = self.blocked_since
        return since is not None and time.monotonic() - since >= STALL

    async def __call__(self, publish: Callable[[bytes], Any]) -> None:
        how = "cancelled"
        try:
            n = 0
            while not self.finish.is_set() and n < self.cap:
                if n == self.fail_after:
                    how = "raised"
                    raise FeedBroke(f"the check's feed failed on purpose after {n} records")
                n += 1
                self.blocked_since = time.monotonic()
                await publish(feed_record(n))
                self.blocked_since = None
                self.produced = n
                self.max_ahead = max(self.max_ahead, n - self.sent)
                if n - self.sent >= RUNAWAY:
                    self.runaway = True
                    break
                await asyncio.sleep(0)  # like any feed that waits for its source: the loop runs in between
            how = "returned"
        finally:
            self.blocked_since = None
            self.ended = how

    def wait_ended(self, limit: float) -> bool:
        deadline = time.monotonic() + limit
        while self.ended is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.ended is not None

    def wait_for_stall(self, limit: float) -> None:
        """Let the client sit still until backpressure reaches the feed (or it runs away, or ends)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not (self.stalled() or self.runaway or self.ended):
            time.sleep(0.005)


def counting(app: Any, current: list[CountingFeed]) -> Any:
    """`app`, counting the records of each body message once the server has taken it (send() returned)."""

    async def counted(scope, receive, send):
        feed = current[0]

        async def send_counted(message):
            await send(message)
            if message["type"] == "http.response.body":
                feed.sent += bytes(message.get("body", b"")).count(b"\n")

        await app(scope, receive, send_counted)

    return counted


class RecordReader:
    """Reads the relay's body with a plain socket and checks that records 1, 2, 3, ... arrive, each once."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.response = response
        self.pending = b""
        self.next = 1  # the number of the record expected next
        self.ending: str | None = None  # clean | broken | hung

    def _more(self) -> bool:
        try:
            data = self.response.read1(64 * KiB)
        except TimeoutError:
            self.ending = "hung"
            return False
        except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException):
            self.ending = "broken"
            return False
        if not data:
            self.ending = "clean"
            return False
        self.pending += data
        return True

    def read(self, count: int | None = None) -> None:
        """Read `count` more records (all of them when None: until the body ends one way or another)."""
        goal = None if count is None else self.next + count
        while goal is None or self.next < goal:
            cut = self.pending.find(b"\n")
            if cut < 0:
                if not self._more():
                    if self.pending:
                        raise Failure(
                            f"{WHAT}: the body ended in the middle of record {self.next}.",
                            expected="whole records, each ending with a line break",
                            got=f"{len(self.pending)} bytes of it, then the end",
                            next="yield each record exactly as publish() received it",
                        )
                    return
                continue
            line, self.pending = self.pending[: cut + 1], self.pending[cut + 1 :]
            self._check(line)

    def _check(self, line: bytes) -> None:
        if line == feed_record(self.next):
            self.next += 1
            return
        found = _RECORD_NUMBER.match(line)
        number = int(found.group(1)) if found else None
        if number is not None and line == feed_record(number):
            if number < self.next:
                problem, got = f"record {number} arrived again after record {self.next - 1}.", f"record {number} twice"
                advice = "put each record in the queue once and yield each item you take out once"
            else:
                missing = f"{self.next}" if number == self.next + 1 else f"{self.next}-{number - 1}"
                problem = f"records {missing} never arrived: record {number} came after record {self.next - 1}."
                got = f"record {number} where record {self.next} was due"
                advice = "never drop a record: put() waits while the queue is full (put_nowait() raises QueueFull)"
            raise Failure(f"{WHAT}: {problem}", expected="every record once, in the order published",
                          got=got, next=advice)  # fmt: skip
        raise Failure(
            f"{WHAT}: record {self.next} arrived changed.",
            expected=f"the {RECORD_SIZE}-byte line the feed published: {feed_record(self.next)[:24]!r}...",
            got=f"{len(line)} bytes: {line[:24]!r}...",
            next="yield the bytes publish() received, unchanged, one record per item",
        )


def relay_server(relay_feed, ctx) -> tuple[Any, list[CountingFeed]]:
    """The answer on a server whose feed the check picks per request: (server, [the feed of the next request])."""
    if "relay" not in ctx.found:
        depends_on = find_dependency(relay_feed, "feed_source", "relay_feed", "feed: Feed = Depends(feed_source)")
        current = [CountingFeed()]
        app = mount(relay_feed, "/feed")
        app.dependency_overrides[depends_on] = lambda: current[0]
        ctx.found["relay"] = (ctx.serve(hiding(counting(app, current), FeedBroke)), current)
    return ctx.found["relay"]


def open_feed(relay_feed, ctx, feed: CountingFeed, timeout: float):
    """GET /feed with `feed` behind it: (connection, response, a RecordReader on it) once 200 and JSON Lines."""
    server, current = relay_server(relay_feed, ctx)
    current[0] = feed
    conn = connect(server.port, timeout)
    conn.request("GET", "/feed")
    try:
        response = conn.getresponse()
    except TimeoutError:
        hang_up(conn)
        raise Failure(
            f"{WHAT} sent no response within {timeout:g} s, not even its status line.",
            expected="200 at once, then the records as the feed publishes them",
            got="no status line: the endpoint never returned its response",
            next="start the feed as a task in the response's generator; awaited in the endpoint, it waits "
            "on a queue that nobody reads yet",
        ) from None
    if response.status != 200:
        body = response.read()[:80]
        hang_up(conn, response)
        raise Failure(f"{WHAT} answered {response.status}.", expected="200 and the records",
                      got=f"{response.status} {body!r}", next="return a StreamingResponse over the queue's records")  # fmt: skip
    media = response.getheader("content-type", "")
    if not media.startswith("application/jsonl"):
        hang_up(conn, response)
        raise Failure(f"{WHAT} answered with Content-Type {media or '(none)'}.", expected="application/jsonl",
                      got=media or "no Content-Type header", next='pass media_type="application/jsonl"')  # fmt: skip
    return conn, response, RecordReader(response)


@case("4.4")
def relays_every_record_in_order(relay_feed, ctx):
    """A client reads ten records, stops until the feed has to wait, then reads the rest once the feed ends."""
    feed = CountingFeed()
    conn, response, reader = open_feed(relay_feed, ctx, feed, 5.0)
    try:
        reader.read(10)
        feed.wait_for_stall(3.0)
        feed.finish.set()
        reader.read()
    finally:
        hang_up(conn, response)
    ctx.found["paused"] = (feed, reader.next - 1)
    if reader.ending != "clean":
        broken = reader.ending == "broken"
        raise Failure(
            f"{WHAT} broke off after record {reader.next - 1} although the feed ended normally." if broken else
            f"{WHAT} sent nothing for 5 s after record {reader.next - 1}, and the feed had ended.",
            expected=f"all {feed.produced} records, then the end of the body",
            got="the connection cut" if broken else "the body never ended",
            next="when the feed returns, put a marker (None) in the queue and end the generator when you get it",
        )  # fmt: skip


@case("4.4")
def loses_no_record(relay_feed, ctx):
    feed, received = ctx.found["paused"]
    if received != feed.produced:
        raise Failure(
            f"{WHAT} ended before the feed's last records: records were lost.",
            expected="every record the feed published, then the end",
            got=f"{received} of the {feed.produced} records published",
            next="never drop a record: put() waits while the queue is full (put_nowait() raises QueueFull), "
            "and the end marker goes in behind the last record",
        )
    return f"every record ({size(RECORD_SIZE)} each) arrived in order, once"


@case("4.4")
def holds_the_feed_back_while_the_client_pauses(relay_feed, ctx):
    feed, _ = ctx.found["paused"]
    if feed.runaway:
        raise Failure(
            f"while the client was not reading, the feed ran {records_size(RUNAWAY)} ahead of what had been "
            "sent and was still going, when the check stopped it.",
            expected=f"at most {RELAY_QUEUE_SIZE} records waiting (RELAY_QUEUE_SIZE) plus the one being sent",
            got=f"{RUNAWAY} records held by the app, with nothing holding the feed back",
            next="give the queue a bound: asyncio.Queue(maxsize=RELAY_QUEUE_SIZE); a full queue makes put() wait",
        )
    if feed.max_ahead > MOST_AHEAD:
        raise Failure(
            f"while the client was not reading, the feed ran {records_size(feed.max_ahead)} ahead of what had "
            "been sent.",
            expected=f"at most {RELAY_QUEUE_SIZE} records waiting (RELAY_QUEUE_SIZE) plus the one being sent",
            got=f"{feed.max_ahead} records held by the app",
            next="use asyncio.Queue(maxsize=RELAY_QUEUE_SIZE), and put each record straight into it",
        )
    return f"while the client paused, the app held at most {feed.max_ahead} records (RELAY_QUEUE_SIZE {RELAY_QUEUE_SIZE})"


@case("4.4")
def cancels_the_feed_when_the_client_leaves(relay_feed, ctx):
    """A client that stops reading, then leaves: the feed, stuck in publish(), must be cancelled."""
    feed = CountingFeed()
    conn, response, reader = open_feed(relay_feed, ctx, feed, 5.0)
    try:
        reader.read(10)
        feed.wait_for_stall(3.0)
    finally:
        hang_up(conn, response)
    if not feed.wait_ended(STOP_WITHIN):
        raise Failure(
            f"the client of {WHAT} left while the feed waited in publish(), and the feed was still running "
            f"{STOP_WITHIN:g} s later.",
            expected="the feed's task cancelled as soon as the stream is over",
            got="the task left behind, waiting on a full queue forever",
            next="create the task in the response's generator and call task.cancel() in its finally",
        )
    return "a client that left had its feed cancelled"


def failing_feed_verdict(ending: str | None, received: int) -> dict[str, str] | None:
    """What to say of a stream whose feed raised after FEED_FAILS_AFTER records: None when it broke off after
    all of them.  One verdict, three wordings: the check reads at full speed, so the queue is all but empty when
    the feed fails and no answer has been found that breaks off with records still in it; the rule stands."""
    if ending == "hung":
        return dict(
            problem=f"the feed of {WHAT} raised after {FEED_FAILS_AFTER} records and the stream hung: nothing more "
            "came and it never ended.",
            expected=f"{FEED_FAILS_AFTER} records, then the response broken off",
            got=f"{received} records, then silence: the reader waits on a queue nobody fills",
            next="catch the feed's exception in the task, put it in the queue, and raise it where you read it",
        )
    if ending == "clean":
        return dict(
            problem=f"the feed of {WHAT} raised after {FEED_FAILS_AFTER} records and the stream ended normally.",
            expected=f"{FEED_FAILS_AFTER} records, then the response broken off (no end of body)",
            got=f"{received} records and a clean end: the client cannot tell the failure from the end of the feed",
            next="raise the feed's exception in the generator: the server then cuts the response",
        )
    if received != FEED_FAILS_AFTER:
        return dict(
            problem=f"the feed of {WHAT} raised after {FEED_FAILS_AFTER} records, and only {received} reached the "
            "client.",
            expected=f"the {FEED_FAILS_AFTER} records published before the error, then the break",
            got=f"{received} records",
            next="put the error in the queue behind the records, so they are sent before it is raised",
        )
    return None


@case("4.4")
def breaks_the_stream_off_when_the_feed_fails(relay_feed, ctx):
    """A feed that fails after 50 records: those 50, then the stream must break off, not end cleanly or hang."""
    feed = CountingFeed(fail_after=FEED_FAILS_AFTER)
    conn, response, reader = open_feed(relay_feed, ctx, feed, 1.5)
    try:
        reader.read()
    finally:
        hang_up(conn, response)
    verdict = failing_feed_verdict(reader.ending, reader.next - 1)
    if verdict is not None:
        raise Failure(**verdict)
    feed.wait_ended(STOP_WITHIN)
    return f"a failing feed broke the stream off after its {FEED_FAILS_AFTER} records."
