"""Checks and hints for notebooks/04_gotchas.ipynb (exercises/ch04_gotchas.py): 4.4-4.6.

4.1-4.3 live in ch04.py.

As in chapter 2, each endpoint is mounted on a real FastAPI app served by uvicorn, and the check swaps the
dependency that feeds it for one it can watch and pause.  The verdicts rest on counts and on the order of
events, not on speed:

4.4  The check's feed counts the records it has published and the check counts, at the ASGI `send()`, the
     records handed to the server.  Their difference is what the app itself holds.  Measuring at the
     client instead would count the socket buffers too: on Linux loopback a client that stops reading
     lets a server push about 4 MB more into the kernel (measured: 3.0-3.9 MB with 1-4 KiB records from
     a plain generator, 4.3 MiB with this check's 16 KiB records; default tcp_wmem/tcp_rmem, and a
     smaller SO_RCVBUF on the client barely changes it), which no bound in the app could prevent.  A bounded relay holds at most
     RELAY_QUEUE_SIZE + 1 records (the queue and the one being sent); an unbounded one runs ahead until
     the check's feed stops it at RUNAWAY records.
4.5  Requests go out over a plain socket (http.client), so the request target reaches uvicorn exactly as
     written: httpx would remove the dot segments of `/files/../secret.txt` before sending.  The check
     verifies, for every request, that the raw path the app saw is the one sent and that it reached the
     endpoint; every target is valid HTTP/1.1 and matches /files/{path:path}, so the only acceptable
     refusal is the endpoint's own 404 -- no 400 or 405 from the framework can stand in for it.
4.6  The check's export lines stop after the first row until the check lets them go, so "N exports are
     running" is a fact, not a timing.  The N+1th request must be refused within a second (a refusal
     takes milliseconds; a request queued for a slot waits for as long as the exports run).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import http.client
import inspect
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from .._case import Failure, case
from .._endpoints import find_dependency, hiding
from .._tools import KiB, sample_bytes, size, workdir

MODULE = "ch04_gotchas"
HOST = "127.0.0.1"


# -- shared -------------------------------------------------------------------------------------------


def mount(answer: Callable[..., Any], path: str) -> FastAPI:
    """`answer` on a new app at `path`, as `app.get(path)(answer)`.  A function that is not a generator is
    mounted without a response model, so a stub (or an odd return annotation) is served like any answer."""
    app = FastAPI()
    generator = inspect.isgeneratorfunction(answer) or inspect.isasyncgenfunction(answer)
    app.add_api_route(path, answer, methods=["GET"], **({} if generator else {"response_model": None}))
    return app


def connect(port: int, timeout: float) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(HOST, port, timeout=timeout)


def hang_up(conn: http.client.HTTPConnection, response: http.client.HTTPResponse | None = None) -> None:
    """Close the client's side for good (response and connection share one socket)."""
    with contextlib.suppress(Exception):
        if response is not None:
            response.close()
    with contextlib.suppress(Exception):
        conn.close()


# == 4.4 a bounded relay ==============================================================================

QUEUE_SIZE = 16  # RELAY_QUEUE_SIZE in the exercise file
#: Records the app may hold at most: the queue's and one more, plus a little slack for a different shape.
MOST_AHEAD = QUEUE_SIZE + 4
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
        self.started = False
        self.blocked_since: float | None = None  # when the publish() now waiting began
        self.finish = threading.Event()
        self.ended: str | None = None  # returned | cancelled | raised
        self.cap = 50_000  # a safety stop: 200 MB of records

    def stalled(self) -> bool:
        since = self.blocked_since
        return since is not None and time.monotonic() - since >= STALL

    async def __call__(self, publish: Callable[[bytes], Any]) -> None:
        self.started = True
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

    def __init__(self, response: http.client.HTTPResponse, what: str) -> None:
        self.response = response
        self.what = what
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
                            f"{self.what}: the body ended in the middle of record {self.next}.",
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
            raise Failure(f"{self.what}: {problem}", expected="every record once, in the order published",
                          got=got, next=advice)  # fmt: skip
        raise Failure(
            f"{self.what}: record {self.next} arrived changed.",
            expected=f"the {RECORD_SIZE}-byte line the feed published: {feed_record(self.next)[:24]!r}...",
            got=f"{len(line)} bytes: {line[:24]!r}...",
            next="yield the bytes publish() received, unchanged, one record per item",
        )


def open_feed(server, feed: CountingFeed, current: list[CountingFeed], timeout: float, what: str):
    current[0] = feed
    conn = connect(server.port, timeout)
    conn.request("GET", "/feed")
    response = conn.getresponse()
    if response.status != 200:
        body = response.read()[:80]
        hang_up(conn, response)
        raise Failure(f"{what} answered {response.status}.", expected="200 and the records",
                      got=f"{response.status} {body!r}", next="return a StreamingResponse over the queue's records")  # fmt: skip
    media = response.getheader("content-type", "")
    if not media.startswith("application/jsonl"):
        hang_up(conn, response)
        raise Failure(f"{what} answered with Content-Type {media or '(none)'}.", expected="application/jsonl",
                      got=media or "no Content-Type header", next='pass media_type="application/jsonl"')  # fmt: skip
    return conn, response, RecordReader(response, what)


def wait_for_stall(feed: CountingFeed, limit: float) -> None:
    """Let the client sit still until backpressure reaches the feed (or it runs away, or ends)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not (feed.stalled() or feed.runaway or feed.ended):
        time.sleep(0.005)


def records_size(count: int) -> str:
    return f"{count} records ({size(count * RECORD_SIZE)})"


@case("4.4")
def check_relay_feed(relay_feed, ctx) -> str:
    what = "GET /feed"
    depends_on = find_dependency(relay_feed, "feed_source", "relay_feed", "feed: Feed = Depends(feed_source)")
    current = [CountingFeed()]
    app = mount(relay_feed, "/feed")
    app.dependency_overrides[depends_on] = lambda: current[0]
    server = ctx.serve(hiding(counting(app, current), FeedBroke))

    # 1. A client that reads ten records, then stops reading until the feed has to wait; then reads the rest.
    feed = CountingFeed()
    conn, response, reader = open_feed(server, feed, current, 5.0, what)
    try:
        reader.read(10)
        wait_for_stall(feed, 3.0)
        feed.finish.set()
        reader.read()
    finally:
        hang_up(conn, response)
    received, ahead = reader.next - 1, feed.max_ahead
    if reader.ending != "clean":
        raise Failure(
            f"{what} broke off after record {received} although the feed ended normally."
            if reader.ending == "broken" else
            f"{what} sent nothing for 5 s after record {received}, and the feed had ended.",
            expected=f"all {feed.produced} records, then the end of the body",
            got="the connection cut" if reader.ending == "broken" else "the body never ended",
            next="when the feed returns, put a marker (None) in the queue and end the generator when you get it",
        )  # fmt: skip
    if received != feed.produced:
        raise Failure(
            f"{what} ended before the feed's last records: records were lost.",
            expected="every record the feed published, then the end",
            got=f"{received} of the {feed.produced} records published",
            next="never drop a record: put() waits while the queue is full (put_nowait() raises QueueFull), "
            "and the end marker goes in behind the last record",
        )
    if feed.runaway:
        raise Failure(
            f"while the client was not reading, the feed ran {records_size(RUNAWAY)} ahead of what had been "
            "sent and was still going, when the check stopped it.",
            expected=f"at most {QUEUE_SIZE} records waiting (RELAY_QUEUE_SIZE) plus the one being sent",
            got=f"{RUNAWAY} records held by the app, with nothing holding the feed back",
            next="give the queue a bound: asyncio.Queue(maxsize=RELAY_QUEUE_SIZE); a full queue makes put() wait",
        )
    if ahead > MOST_AHEAD:
        raise Failure(
            f"while the client was not reading, the feed ran {records_size(ahead)} ahead of what had been sent.",
            expected=f"at most {QUEUE_SIZE} records waiting (RELAY_QUEUE_SIZE) plus the one being sent",
            got=f"{ahead} records held by the app",
            next="use asyncio.Queue(maxsize=RELAY_QUEUE_SIZE), and put each record straight into it",
        )

    # 2. A client that stops reading, then leaves: the feed (stuck in publish) must be cancelled.
    feed2 = CountingFeed()
    conn, response, reader2 = open_feed(server, feed2, current, 5.0, what)
    try:
        reader2.read(10)
        wait_for_stall(feed2, 3.0)
    finally:
        hang_up(conn, response)
    if not feed2.wait_ended(STOP_WITHIN):
        raise Failure(
            f"the client of {what} left while the feed waited in publish(), and the feed was still running "
            f"{STOP_WITHIN:g} s later.",
            expected="the feed's task cancelled as soon as the stream is over",
            got="the task left behind, waiting on a full queue forever",
            next="create the task in the response's generator and call task.cancel() in its finally",
        )

    # 3. A feed that fails after 50 records: those 50, then the stream must break off, not end cleanly or hang.
    feed3 = CountingFeed(fail_after=FEED_FAILS_AFTER)
    conn, response, reader3 = open_feed(server, feed3, current, 1.5, what)
    try:
        reader3.read()
    finally:
        hang_up(conn, response)
    got3 = reader3.next - 1
    if reader3.ending == "hung":
        raise Failure(
            f"the feed of {what} raised after {FEED_FAILS_AFTER} records and the stream hung: nothing more "
            "came and it never ended.",
            expected=f"{FEED_FAILS_AFTER} records, then the response broken off",
            got=f"{got3} records, then silence: the reader waits on a queue nobody fills",
            next="catch the feed's exception in the task, put it in the queue, and raise it where you read it",
        )
    if reader3.ending == "clean":
        raise Failure(
            f"the feed of {what} raised after {FEED_FAILS_AFTER} records and the stream ended normally.",
            expected=f"{FEED_FAILS_AFTER} records, then the response broken off (no end of body)",
            got=f"{got3} records and a clean end: the client cannot tell the failure from the end of the feed",
            next="raise the feed's exception in the generator: the server then cuts the response",
        )
    if got3 != FEED_FAILS_AFTER:
        raise Failure(
            f"the feed of {what} raised after {FEED_FAILS_AFTER} records, and only {got3} reached the client.",
            expected=f"the {FEED_FAILS_AFTER} records published before the error, then the break",
            got=f"{got3} records",
            next="put the error in the queue behind the records, so they are sent before it is raised",
        )
    feed3.wait_ended(STOP_WITHIN)
    return (
        f"every record ({size(RECORD_SIZE)} each) arrived in order, once; while the client paused, the app held "
        f"at most {ahead} records "
        f"(RELAY_QUEUE_SIZE {QUEUE_SIZE}); a client that left had its feed cancelled; a failing feed "
        f"broke the stream off after its {FEED_FAILS_AFTER} records."
    )


# == 4.5 safe downloads ===============================================================================

NOT_FOUND = b'{"detail":"Not Found"}'

SECRET = b"secret.txt: outside the root -- never to be served\n"
KEYS = b"files-secret/keys.txt: in a sibling folder whose name starts like the root's\n"
PRIVATE = b"private/db.txt: reached through a folder symlink inside the root\n"

LEGIT = [  # (target, file under the real root, what it shows)
    ("/files/readme.txt", "readme.txt", "a plain file"),
    ("/files/report%202024.csv", "report 2024.csv", "a name with a space"),
    ("/files/na%C3%AFve%20caf%C3%A9.txt", "naïve café.txt", "a non-ASCII name"),
    ("/files/data/deep/nested/blob.bin", "data/deep/nested/blob.bin", "a file three folders down"),
    ("/files/data/latest.bin", "data/deep/nested/blob.bin", "a symlink to a file inside the root"),
    ("/files/current/nested/blob.bin", "data/deep/nested/blob.bin", "a folder symlink inside the root"),
]

_TRAVERSAL = "resolve the joined path and refuse it unless it is_relative_to(root.resolve())"
_DECODED = "the path arrives percent-decoded: ..%2f is ../ by the time your function sees it; " + _TRAVERSAL
_ABSOLUTE = ("root / '/etc/passwd' is '/etc/passwd': a path that starts with / replaces the root; "
             "check where the resolved path lands")  # fmt: skip
_PREFIX = ("'…/files-secret/keys.txt' starts with '…/files' as a string: compare paths with "
           "Path.is_relative_to(), not str.startswith() or os.path.commonprefix()")  # fmt: skip
_SYMLINK = "resolve() follows symlinks, normpath()/abspath() and a '..' test do not: check the resolved path"
_FILES_ONLY = "serve regular files only: refuse unless target.is_file()"
_TWICE = "the path is percent-decoded once already; decoding it again (unquote) brings back ../ after your checks"
_NUL = "a NUL byte makes file calls raise ValueError: catch it, like OSError, and answer 404"
_LONG = "a name over 255 bytes raises OSError (File name too long): catch OSError around resolve() and answer 404"

ATTACKS = [  # (request target, advice); {abs} is the absolute path of the check's folder
    ("/files/../secret.txt", _TRAVERSAL),
    ("/files/../../../../../../../../etc/passwd", _TRAVERSAL),
    ("/files/..%2fsecret.txt", _DECODED),
    ("/files/%2e%2e/secret.txt", _DECODED),
    ("/files/%2e%2e%2fsecret.txt", _DECODED),
    ("/files/%2E%2E%2Fsecret.txt", _DECODED),
    ("/files/data/../../secret.txt", _TRAVERSAL),
    ("/files/./../secret.txt", _TRAVERSAL),
    ("/files/data/deep/../../../secret.txt", _TRAVERSAL),
    ("/files/%2e%2e", _TRAVERSAL),
    ("/files//etc/passwd", _ABSOLUTE),
    ("/files/%2fetc%2fpasswd", _ABSOLUTE),
    ("/files/{abs}/secret.txt", _ABSOLUTE),
    ("/files/../files-secret/keys.txt", _PREFIX),
    ("/files/..%2ffiles-secret%2fkeys.txt", _PREFIX),
    ("/files/escape.txt", _SYMLINK),
    ("/files/absolute.txt", _SYMLINK),
    ("/files/shared/db.txt", _SYMLINK),
    ("/files/data/up/secret.txt", _SYMLINK),
    ("/files/..%252fsecret.txt", _TWICE),
    ("/files/%252e%252e%252fsecret.txt", _TWICE),
    ("/files/%252e%252e/secret.txt", _TWICE),
    ("/files/....//secret.txt", _TRAVERSAL),
    ("/files/..;/secret.txt", _TRAVERSAL),
    ("/files/..\\secret.txt", _TRAVERSAL),
    ("/files/..%5csecret.txt", _TRAVERSAL),
    ("/files/C:%5CWindows%5Cwin.ini", _TRAVERSAL),
    ("/files/C:/Windows/win.ini", _TRAVERSAL),
    ("/files/%5C%5C127.0.0.1%5Cshare%5Csecret.txt", _TRAVERSAL),
    ("/files/%E2%80%A5/secret.txt", _TRAVERSAL),  # ‥ (two-dot leader)
    ("/files/%EF%BC%8E%EF%BC%8E%EF%BC%8Fsecret.txt", _TRAVERSAL),  # ．．／ (fullwidth)
    ("/files/%C0%AE%C0%AE%C0%AFsecret.txt", _TRAVERSAL),  # ../ in overlong UTF-8
    ("/files/", _FILES_ONLY),
    ("/files/.", _FILES_ONLY),
    ("/files/data", _FILES_ONLY),
    ("/files/data/", _FILES_ONLY),
    ("/files/current", _FILES_ONLY),
    ("/files/empty", _FILES_ONLY),
    ("/files/dangling.txt", _FILES_ONLY),
    ("/files/readme.txt%00.png", _NUL),
    ("/files/%00", _NUL),
    ("/files/..%00/secret.txt", _NUL),
    ("/files/" + "x" * 300, _LONG),
    ("/files/" + "a/" * 2100 + "b", _LONG),
    ("/files/pipe", _FILES_ONLY),  # last: an answer that open()s it would wait for a writer
]


def build_tree(top: Path) -> tuple[Path, dict[str, bytes]]:
    """The folders the check serves from, and the files outside them.  Returns (the root to serve, secrets).

        top/secret.txt              top/files-secret/keys.txt          top/private/db.txt
        top/served -> files         (the root the app is given, a symlink to the real folder)
        top/files/readme.txt, report 2024.csv, naïve café.txt, data/deep/nested/blob.bin, empty/
                  data/latest.bin -> deep/nested/blob.bin      current -> data/deep     (inside: served)
                  escape.txt -> ../secret.txt    absolute.txt -> top/secret.txt    shared -> ../private
                  data/up -> ../..               dangling.txt -> missing.txt       pipe (a FIFO)
    """
    (top / "secret.txt").write_bytes(SECRET)
    (top / "files-secret").mkdir()
    (top / "files-secret" / "keys.txt").write_bytes(KEYS)
    (top / "private").mkdir()
    (top / "private" / "db.txt").write_bytes(PRIVATE)
    real = top / "files"
    (real / "data" / "deep" / "nested").mkdir(parents=True)
    (real / "empty").mkdir()
    (real / "readme.txt").write_bytes(b"Files served by download().\n")
    (real / "report 2024.csv").write_bytes(b"month,total\n2024-01,100\n2024-02,250\n")
    (real / "naïve café.txt").write_bytes("Crème brûlée, naïve café, 日本語\n".encode())
    (real / "data" / "deep" / "nested" / "blob.bin").write_bytes(sample_bytes(300 * KiB, seed=45))
    (real / "data" / "latest.bin").symlink_to(Path("deep") / "nested" / "blob.bin")
    (real / "current").symlink_to(Path("data") / "deep", target_is_directory=True)
    (real / "escape.txt").symlink_to(Path("..") / "secret.txt")
    (real / "absolute.txt").symlink_to(top / "secret.txt")
    (real / "shared").symlink_to(Path("..") / "private", target_is_directory=True)
    (real / "data" / "up").symlink_to(Path("..") / "..", target_is_directory=True)
    (real / "dangling.txt").symlink_to("missing.txt")
    os.mkfifo(real / "pipe")
    (top / "served").symlink_to("files", target_is_directory=True)
    secrets = {"secret.txt": SECRET, "files-secret/keys.txt": KEYS, "private/db.txt": PRIVATE}
    with contextlib.suppress(OSError):
        secrets["/etc/passwd"] = Path("/etc/passwd").read_bytes()
    return top / "served", secrets


def release_pipe(pipe: Path) -> None:
    """Give an answer that opened the FIFO for reading its end of file, so its worker thread is not stuck."""
    with contextlib.suppress(OSError):
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))


class Seen:
    """What reached the app for each request: the raw path uvicorn passed on and the `path` FastAPI extracted."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.raw_path = b""
        self.path_param: str | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.raw_path, self.path_param = scope.get("raw_path", b""), None

        async def noting(message):
            if message["type"] == "http.response.start":  # routed by now: the router filled in path_params
                self.path_param = scope.get("path_params", {}).get("path")
            await send(message)

        await self.app(scope, receive, noting)


def fetch(server, seen: Seen, target: str, timeout: float = 3.0) -> tuple[int, dict[str, str], bytes]:
    """GET `target` over a plain socket, exactly as written (http.client does not touch the path)."""
    conn = connect(server.port, timeout)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        status = response.status
    except TimeoutError:
        raise Failure(
            f"GET {shown(target)} got no answer within {timeout:g} s.",
            expected="404 at once",
            got="no status line: the endpoint is still waiting",
            next="check is_file() before opening anything: reading a named pipe waits for a writer",
        ) from None
    finally:
        conn.close()
    # The check's own guard: the target must reach the endpoint unchanged, or the attack proves nothing.
    assert seen.raw_path == target.encode(), (seen.raw_path[:80], target[:80])
    assert seen.path_param is not None, f"{target[:80]} did not reach the endpoint"
    return status, headers, body


def shown(target: str, top: Path | None = None) -> str:
    """A request target as a message shows it: the check's temporary folder named, long runs shortened."""
    text = target.replace(str(top), "<check folder>") if top else target
    text = text.replace("{abs}", "<check folder>")
    text = re.sub(r"(a/){6,}", lambda m: f"a/a/…({len(m.group(0)) // 2} times)…/", text)
    text = re.sub(r"x{12,}", lambda m: f"xxx…({len(m.group(0))} x)", text)
    return text


def describe_leak(body: bytes, secrets: dict[str, bytes]) -> str:
    for name, data in secrets.items():
        if body == data:
            return f"the bytes of {name}, a file outside the root"
        if data[:20] in body:
            return f"{len(body)} bytes that include {name}, a file outside the root"
    return f"{len(body)} bytes: {body[:50]!r}"


@case("4.5")
def check_download(download, ctx) -> str:
    depends_on = find_dependency(download, "files_root", "download", "root: Path = Depends(files_root)")
    with workdir() as top:
        top = top.resolve()
        root, secrets = build_tree(top)
        app = mount(download, "/files/{path:path}")
        app.dependency_overrides[depends_on] = lambda: root
        seen = Seen(app)
        server = ctx.serve(seen)
        try:
            return _check_download(server, seen, top, secrets)
        finally:
            release_pipe(top / "files" / "pipe")


def _check_download(server, seen: Seen, top: Path, secrets: dict[str, bytes]) -> str:
    # Leaks first: every hostile path is tried before anything else is judged, so a file served from
    # outside the root is what the message talks about, even when the answer has other faults too.
    answers = []
    for target, advice in ATTACKS:
        status, _, body = fetch(server, seen, target.replace("{abs}", str(top)))
        label = f"GET {shown(target)} (path {shown(seen.path_param or '', top)!r})"
        if status == 200:
            leak = describe_leak(body, secrets)
            raise Failure(f"{label} answered 200 with {leak}.", expected="404, as for a missing file",
                          got=f"200 and {leak}", next=advice)  # fmt: skip
        answers.append((label, advice, status, body))

    # A missing file sets the one 404 every refusal must look like.
    status, _, missing_body = fetch(server, seen, "/files/missing.txt")
    if status != 404:
        raise Failure(
            f"GET /files/missing.txt answered {status} for a file that does not exist.",
            expected="404 Not Found",
            got=f"{status} {missing_body[:60]!r}",
            next="raise HTTPException(404) when the path does not lead to a file",
        )

    for target, relative, kind in LEGIT:
        status, headers, body = fetch(server, seen, target)
        data = (top / "files" / relative).read_bytes()
        label = f"GET {target} (path {seen.path_param!r}, {kind})"
        if status != 200:
            advice = ("the root the check gives is a symlink to the real folder (as /srv/files often is): "
                      "compare with root.resolve(), not root")  # fmt: skip
            if "symlink" in kind:
                advice = "a symlink that stays inside the root is fine: resolve it, then check where it landed"
            raise Failure(f"{label} answered {status}.", expected=f"200 and the file's {size(len(data))}",
                          got=f"{status} {body[:60]!r}", next=advice)  # fmt: skip
        if body != data or headers.get("content-length") != str(len(data)):
            raise Failure(
                f"{label} did not send the file as it is.",
                expected=f"its {len(data)} bytes, Content-Length: {len(data)}",
                got=f"{len(body)} bytes" + (" (other bytes)" if len(body) == len(data) else "")
                + f", Content-Length: {headers.get('content-length', '(none)')}",
                next="return FileResponse(target): it sends the bytes and the length",
            )

    for label, advice, status, body in answers:
        if status == 404 and body == missing_body:
            continue
        if status == 404:
            raise Failure(
                f"{label} answered 404 with another body than a missing file's.",
                expected=f"the same 404 as for a missing file: {missing_body[:60].decode(errors='replace')}",
                got=f"404 {body[:60]!r}",
                next="raise the same HTTPException(404) for every refusal: a different answer tells an attacker "
                "which paths hit something",
            )
        raise Failure(f"{label} answered {status}.", expected="404, as for a missing file",
                      got=f"{status} {body[:60]!r}", next=advice)  # fmt: skip
    return (
        f"{len(LEGIT)} files served whole (spaces, non-ASCII, subfolders, symlinks that stay inside), "
        f"{len(ATTACKS)} hostile paths refused with the same 404: ../ and its encodings, absolute paths, a "
        "sibling folder sharing the root's prefix, symlinks out, folders, a pipe, NUL bytes, names too long."
    )


# == 4.6 a limit on heavy exports =====================================================================

LIMIT = 3  # the check's ExportSlots(limit=3): the exercise file's default is 2, so a hard-coded 2 shows
#: A refused request must be answered within this time (a refusal takes milliseconds).
REFUSE_WITHIN = 1.0
#: How long the check keeps retrying a request that should get in once a slot is free again.
ADMIT_WITHIN = 1.5
#: An export the check forgets to release ends by itself after this long.
HOLD_LIMIT = 8.0
HEADER = "export,row\n"


class ExportBroke(Exception):
    """The check's export failing on purpose."""


class HeldExport:
    """The lines of one export: the header and row 1, then nothing until the check releases (or fails) it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.started = False
        self.finished = False
        self.release = threading.Event()
        self.fail = False

    async def lines(self) -> AsyncIterator[str]:
        self.started = True
        yield HEADER
        yield f"{self.number},1\n"
        deadline = time.monotonic() + HOLD_LIMIT
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        if self.fail:
            raise ExportBroke(f"the check's export {self.number} failed on purpose")
        for row in range(2, 5):
            yield f"{self.number},{row}\n"
        self.finished = True


class Exports:
    """The check's `export_rows`: a new HeldExport for every request that asks for one."""

    def __init__(self) -> None:
        self.made: list[HeldExport] = []

    def rows(self) -> AsyncIterator[str]:
        export = HeldExport(len(self.made) + 1)
        self.made.append(export)
        return export.lines()

    @property
    def started(self) -> int:
        return sum(export.started for export in self.made)

    def release_all(self) -> None:
        for export in self.made:
            export.release.set()


class _Slots:
    """Stands in for the exercise file's ExportSlots when the check cannot find that class."""

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self.in_use = 0


class Export:
    """One client of /export.csv over a plain socket."""

    def __init__(self, server, exports: Exports, timeout: float) -> None:
        self.conn = connect(server.port, timeout)
        self.exports = exports
        self.response: http.client.HTTPResponse | None = None
        self.export: HeldExport | None = None
        self.body = b""
        self.status = 0
        self.headers: dict[str, str] = {}

    def open(self) -> "Export":
        """Send the request; read the status, and for a 200 the header and first row (which export it is)."""
        self.conn.request("GET", "/export.csv")
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}
        if self.status != 200:
            self.body = self.response.read()
            return self
        while self.body.count(b"\n") < 2:
            data = self.response.read1(4096)
            if not data:
                break
            self.body += data
        found = re.match(rb"export,row\n(\d+),1\n", self.body)
        if found:
            self.export = self.exports.made[int(found.group(1)) - 1]
        return self

    def rest(self) -> str:
        """Read to the end: 'clean', 'broken' or 'hung'."""
        try:
            while data := self.response.read1(4096):
                self.body += data
        except TimeoutError:
            return "hung"
        except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException):
            return "broken"
        return "clean"

    def close(self) -> None:
        hang_up(self.conn, self.response)


def retry_after_ok(value: str | None) -> bool:
    if value is None:
        return False
    value = value.strip()
    if value.isdigit():
        return int(value) >= 1
    try:  # or an HTTP-date: Retry-After: Fri, 31 Dec 1999 23:59:59 GMT
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


class ExportClients:
    def __init__(self, server, exports: Exports, slots: Any) -> None:
        self.server, self.exports, self.slots = server, exports, slots
        self.open: list[Export] = []

    def admit(self, what: str, running: int, *, retry: bool = False) -> Export:
        """Open an export that must get in (retrying for ADMIT_WITHIN when a slot is being freed)."""
        deadline = time.monotonic() + (ADMIT_WITHIN if retry else 0)
        while True:
            client = Export(self.server, self.exports, 5.0)
            self.open.append(client)
            try:
                client.open()
            except TimeoutError:
                raise Failure(
                    f"{what} got no answer within 5 s while {running} of {LIMIT} exports were running.",
                    expected=f"200 and the export: a slot was free (the limit is slots.limit, {LIMIT} here)",
                    got="no status line",
                    next="take a slot when slots.in_use < slots.limit, and give it back when the response is over",
                ) from None
            if client.status == 200 or not retry or time.monotonic() >= deadline:
                break
            client.close()
            time.sleep(0.05)
        if client.status != 200 or client.export is None:
            raise Failure(
                f"{what} answered {client.status} while {running} of {LIMIT} exports were running.",
                expected=f"200 and the export (the limit is slots.limit, {LIMIT} here)"
                + (f"; a slot must be free again within {ADMIT_WITHIN:g} s" if retry else ""),
                got=f"{client.status} {client.body[:60]!r}" + (f"; slots.in_use is {self.slots.in_use}"
                                                              if isinstance(self.slots.in_use, int) else ""),
                next="refuse only when slots.in_use >= slots.limit, and give the slot back in a finally after the "
                "yield, so it comes back however the response ends" if retry else
                "compare with slots.limit (the check sets its own), and refuse only when slots.in_use >= slots.limit",
            )  # fmt: skip
        if not client.headers.get("content-type", "").startswith("text/csv"):
            raise Failure(f"{what} answered with Content-Type {client.headers.get('content-type', '(none)')}.",
                          expected="text/csv; charset=utf-8", got=client.headers.get("content-type", "none"),
                          next='return StreamingResponse(rows, media_type="text/csv")')  # fmt: skip
        return client

    def refuse(self, what: str) -> float:
        """Open an export that must be refused at once; returns how long the refusal took."""
        started = self.exports.started
        client = Export(self.server, self.exports, REFUSE_WITHIN)
        self.open.append(client)
        begin = time.monotonic()
        try:
            client.open()
        except TimeoutError:
            raise Failure(
                f"{what} waited: no answer within {REFUSE_WITHIN:g} s while {LIMIT} exports were running.",
                expected=f"503 Service Unavailable with Retry-After, at once (the limit is {LIMIT})",
                got="no status line: the request was queued for a slot, for as long as the exports run",
                next="never wait for a slot (no Semaphore.acquire(), no Depends(max_concurrency=...)): when "
                "slots.in_use >= slots.limit, raise HTTPException(503) at once",
            ) from None
        elapsed = time.monotonic() - begin
        if client.status == 200:
            in_use = self.slots.in_use  # read while the extra export still holds what it took
            client.close()
            counted = isinstance(in_use, int)
            if counted and in_use < 0:
                got = f"200; slots.in_use was {in_use}: slots were given back more often than they were taken"
                advice = "give the slot back in one place only: the finally around the dependency's yield"
            elif counted and in_use < LIMIT:
                got = (f"200; slots.in_use was {in_use} while {LIMIT} exports streamed: the slots were given back "
                       "when the endpoint returned, not when the streams ended")
                advice = ("hold the slot in a dependency with yield (default scope: it ends after the response), "
                          "not around `return StreamingResponse(...)` and not with scope='function'")
            else:
                got = f"200, with slots.in_use at {in_use}"
                advice = "refuse when slots.in_use >= slots.limit"
            raise Failure(f"{what} got in while {LIMIT} exports were streaming (the limit is {LIMIT}).",
                          expected="503 Service Unavailable with Retry-After", got=got, next=advice)  # fmt: skip
        if client.status != 503:
            advice = ("429 says this client sent too many requests; here the server is busy for everyone, "
                      "whoever asks: 503 Service Unavailable") if client.status == 429 else \
                "raise HTTPException(status_code=503, headers={'Retry-After': '5'})"  # fmt: skip
            raise Failure(f"{what} answered {client.status} while {LIMIT} exports were running.",
                          expected="503 Service Unavailable with Retry-After",
                          got=f"{client.status} {client.body[:60]!r}", next=advice)  # fmt: skip
        if not retry_after_ok(client.headers.get("retry-after")):
            value = client.headers.get("retry-after")
            raise Failure(
                f"{what} answered 503 " + ("without a Retry-After header." if value is None else
                                           f"with Retry-After: {value}."),
                expected="Retry-After: a number of seconds (1 or more), e.g. Retry-After: 5",
                got="no Retry-After header" if value is None else f"Retry-After: {value}",
                next="HTTPException(503, headers={'Retry-After': str(RETRY_AFTER_SECONDS)}): clients and proxies "
                "read it to know when to come back",
            )  # fmt: skip
        if self.exports.started != started:
            raise Failure(
                f"{what} was refused, but only after its export had started.",
                expected="503 before any of the export's work is done",
                got="the export's rows were being read for a request that was then refused",
                next="decide in the dependency, before the endpoint runs and before the response streams",
            )
        client.close()
        return elapsed

    def close_all(self) -> None:
        for client in self.open:
            client.close()


@case("4.6")
def check_export_report(export_report, ctx) -> str:
    rows_dependency = find_dependency(export_report, "export_rows", "export_report",
                                      "rows: AsyncIterator[str] = Depends(export_rows)")  # fmt: skip
    slots_dependency = find_dependency(export_report, "export_slots", "export_report",
                                       "a dependency on export_slots (through export_slot)")  # fmt: skip
    make_slots = getattr(slots_dependency, "__globals__", {}).get("ExportSlots", _Slots)
    slots = make_slots(limit=LIMIT)
    exports = Exports()
    app = mount(export_report, "/export.csv")
    app.dependency_overrides[rows_dependency] = exports.rows
    app.dependency_overrides[slots_dependency] = lambda: slots
    server = ctx.serve(hiding(app, ExportBroke))
    clients = ExportClients(server, exports, slots)
    try:
        return _check_export_report(clients, exports)
    finally:
        exports.release_all()
        clients.close_all()


def _check_export_report(clients: ExportClients, exports: Exports) -> str:
    what = "GET /export.csv"
    # LIMIT exports get in and stay open: each has sent its first row and waits for the check.
    held = [clients.admit(f"{what} number {n + 1}", n) for n in range(LIMIT)]
    clients.refuse(f"{what} number {LIMIT + 1}")

    # One ends normally: a new one gets in.
    first = held.pop(0)
    first.export.release.set()
    if first.rest() != "clean":
        raise Failure(f"{what}: a running export did not end cleanly once its rows were done.",
                      expected="the rest of its rows, then the end of the body", got="the response broke off",
                      next="stream `rows` as they come: StreamingResponse(rows, media_type=\"text/csv\")")  # fmt: skip
    held.append(clients.admit(f"{what} after one export ended", LIMIT - 1, retry=True))

    # One fails midway: its slot comes back too.
    broken = held.pop(0)
    broken.export.fail = True
    broken.export.release.set()
    broken.rest()
    held.append(clients.admit(f"{what} after one export failed midway", LIMIT - 1, retry=True))

    # All clients hang up mid-stream: every slot comes back, and exactly LIMIT new exports get in.
    for client in held:
        client.close()
    held = [clients.admit(f"{what} after {LIMIT} clients hung up mid-stream ({n} of {LIMIT} back in)", n, retry=True)
            for n in range(LIMIT)]  # fmt: skip
    clients.refuse(f"{what} number {LIMIT + 1} after the {LIMIT} clients that hung up were replaced")
    return (
        f"{LIMIT} exports ran at once (slots.limit {LIMIT}); number {LIMIT + 1} got 503 with Retry-After in "
        f"under {REFUSE_WITHIN:g} s, without starting; a slot came back when an export "
        f"ended, when one failed and when clients hung up ({LIMIT} new exports got in, and no more)."
    )
