"""Notebook 4's measuring harnesses, so that each cell shows only the endpoint it teaches and the numbers.

    status, headers, body, first_byte = raw_request(server.url, "/report/3", version="1.0")
    duration, pings = ping_timeline(server.url, "/rows/blocking")        # /ping answered while it streams?
    run = crowd(server.url, "/rows/sync", 100, stats="/threads", probes=("/health", "/ping"))

Every client here talks to a course server on 127.0.0.1 (the notebook's `serve()`: uvicorn with h11) over
a plain socket or httpx, and returns what it saw; the notebook prints it and asserts on it.  Nothing here
decides whether a claim holds.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import re
import shutil
import socket
import statistics
import subprocess
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import httpx

from ._answers import display_path
from .measure import KiB, MiB, Pinger, collector_paused  # the collector held still, for the sync-generator demo
from .nginx import reverse_proxy

__all__ = [
    "CURL", "Arrivals", "Attacked", "BehindNginx", "Crowd", "Download", "ProxiedRun", "RawResponse", "Tally", "Timing", "arrivals",
    "attack", "collector_paused", "crowd", "crunch", "download_watched", "hang_up", "keep_alive_timings",
    "ping_timeline", "pings_during", "stacks_behind_nginx", "raw_request", "read_slowly", "read_with_curl", "read_with_httpx",
    "seconds_to_get", "send_warnings_counted", "show_source", "through_nginx", "tick_times"
]  # fmt: skip

#: curl's path, or None where curl is not installed (the cells that use it then say so and skip it).
CURL = shutil.which("curl")


# -- reading the installed libraries --------------------------------------------------------------------


def _shown_path(path: str) -> str:
    """A source file as `starlette/responses.py` for an installed library, or relative to the course folder."""
    path = path.replace("\\", "/")
    library = re.sub(r".*/(site-packages|python3\.\d+)/", "", path)
    return library if library != path else display_path(path)


def show_source(obj: Any, *words: str, following: int = 0) -> None:
    """Print the lines of `obj`'s source that contain any of `words` (and `following` more), as file:line."""
    lines, first = inspect.getsourcelines(obj)
    path = _shown_path(inspect.getsourcefile(obj) or "")
    shown: set[int] = set()
    for index, line in enumerate(lines):
        if any(word in line for word in words):
            shown.update(range(index, index + following + 1))
    for index in sorted(i for i in shown if i < len(lines)):
        print(f"{path}:{max(first, 1) + index}: {lines[index].rstrip()}")


# -- one request over a plain socket --------------------------------------------------------------------


class RawResponse(NamedTuple):
    """What raw_request saw: the status line, the headers (lower-case names), the body, seconds to the first byte."""

    status: str
    headers: dict[str, str]
    body: bytes
    first_byte: float | None


def _address(url: str) -> tuple[str, int]:
    """("127.0.0.1", 8000) for "http://127.0.0.1:8000"."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    return host, int(port)


def _request_head(url: str, target: str, *, version: str = "1.1", method: str = "GET",
                  headers: dict[str, str] | None = None, close: bool = True) -> bytes:
    """The request line and headers of one request, as bytes ready to send."""
    host, port = _address(url)
    lines = [f"{method} {target} HTTP/{version}", f"Host: {host}:{port}"] + ["Connection: close"] * close
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def raw_request(url: str, target: str, *, version: str = "1.1", method: str = "GET",
                headers: dict[str, str] | None = None, timeout: float = 30) -> RawResponse:
    """Send one request exactly as written, read until the server closes, and split what came back."""
    data, first, started = bytearray(), None, time.perf_counter()
    with socket.create_connection(_address(url), timeout=timeout) as sock:
        sock.sendall(_request_head(url, target, version=version, method=method, headers=headers))
        while chunk := sock.recv(65536):
            first = first or time.perf_counter() - started
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    named = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    return RawResponse(status, named, body, first)


def seconds_to_get(url: str, path: str) -> float:
    """Seconds from sending GET `path` to the end of its response."""
    started = time.perf_counter()
    raw_request(url, path)
    return time.perf_counter() - started


# -- the event loop and the thread pool -----------------------------------------------------------------


def crunch(n: int = 3_000_000) -> int:
    """Pure-Python CPU work (about 0.1 s on a laptop): holds the GIL the whole time.  It lives in a module because a
    process pool runs functions it can import by name in the worker process; a function defined in a notebook cell
    has no such name."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def pings_during(url: str, path: str) -> tuple[float, list[float]]:
    """GET `path` (read to its end) while a Pinger times GET /ping one after another: (seconds, ping latencies)."""
    with Pinger(url) as pinger:
        time.sleep(0.05)
        started = time.perf_counter()
        raw_request(url, path, timeout=120)
        took = time.perf_counter() - started
    return took, pinger.latencies


def ping_timeline(url: str, path: str, every: float = 0.02,
                  ping: str = "/ping") -> tuple[float, list[tuple[float, float]]]:
    """Download `path` while sending GET `ping` every `every` s on new connections: (seconds, [(sent, waited)])."""
    pings: list[tuple[float, float]] = []
    pingers: list[threading.Thread] = []

    def one_ping(sent: float) -> None:
        raw_request(url, ping)
        pings.append((sent, time.perf_counter() - started - sent))

    started = time.perf_counter()
    download = threading.Thread(target=raw_request, args=(url, path))
    download.start()
    while download.is_alive():
        pingers.append(threading.Thread(target=one_ping, args=(time.perf_counter() - started,)))
        pingers[-1].start()
        time.sleep(every)
    duration = time.perf_counter() - started
    for pinger in pingers:
        pinger.join()
    return duration, sorted(pings)


class Crowd(NamedTuple):
    """What crowd() saw: its seconds in all, each download's seconds, the sampled stats, each probe's seconds."""

    took: float
    durations: list[float]
    stats: list[dict[str, Any]]
    probes: dict[str, list[float]]

    def probes_while(self, condition: Callable[[dict[str, Any]], bool]) -> dict[str, list[float]]:
        """The probe times taken while `condition(stats sample)` held; all of them if it never did."""
        chosen = [i for i, sample in enumerate(self.stats) if condition(sample)] or range(len(self.stats))
        return {probe: [waits[i] for i in chosen] for probe, waits in self.probes.items()}


def crowd(url: str, path: str, n: int, *, stats: str, probes: tuple[str, ...] = ("/ping",),
          settle: float = 0.0) -> Crowd:
    """GET `path` `n` times at once; until all end, sample the JSON at `stats` and time one GET of each probe."""
    sampled: list[dict[str, Any]] = []
    waits: dict[str, list[float]] = {probe: [] for probe in probes}
    started = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        jobs = [pool.submit(seconds_to_get, url, path) for _ in range(n)]
        time.sleep(settle)
        while not all(job.done() for job in jobs):
            sampled.append(json.loads(raw_request(url, stats).body))
            for probe in probes:
                waits[probe].append(seconds_to_get(url, probe))
        durations = [job.result() for job in jobs]
    return Crowd(time.perf_counter() - started, durations, sampled, waits)


# -- errors mid-stream ----------------------------------------------------------------------------------


def read_with_httpx(url: str) -> tuple[int, str]:
    """GET `url` with httpx and read the whole body: (status, "complete: <body>" or the error httpx raised)."""
    with httpx.Client() as client, client.stream("GET", url) as response:
        try:
            return response.status_code, f"complete: {response.read()!r}"
        except httpx.HTTPError as error:
            return response.status_code, f"{type(error).__name__}: {error}"


def read_with_curl(url: str) -> tuple[str | None, int | None, str]:
    """GET `url` with curl: (the status it printed, its exit code, what it said on stderr)."""
    if CURL is None:
        return None, None, "curl is not installed here"
    command = [CURL, "-sS", "-o", os.devnull, "-w", "%{http_code}", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return result.stdout, result.returncode, result.stderr.strip()


# -- client disconnects ---------------------------------------------------------------------------------


class Tally:
    """What a generator holds open, and a log of when things happened (seconds since the tally was made)."""

    def __init__(self) -> None:
        self.open, self.chunks, self.events, self.started = 0, 0, [], time.perf_counter()

    def log(self, what: str) -> None:
        """Note `what` with the time since the tally was made."""
        self.events.append(f"{time.perf_counter() - self.started:6.3f} s  {what}")

    def acquire(self) -> None:
        """The generator opened its resource."""
        self.open += 1
        self.log("generator opens its resource")

    def release(self) -> None:
        """The generator released its resource."""
        self.open -= 1
        self.log(f"finally: resource released after {self.chunks} chunks")


def hang_up(url: str, path: str, tally: Tally) -> Tally:
    """GET `path`, read the headers and the first bytes of the body, then close the connection; log it in `tally`."""
    with socket.create_connection(_address(url)) as sock:
        sock.sendall(_request_head(url, path, close=False))
        received = b""
        while not received.partition(b"\r\n\r\n")[2]:  # the headers, then the first bytes of the body
            received += sock.recv(4096)
        tally.log("client hangs up")
    return tally


class _SendWarnings(logging.Handler):
    """Counts asyncio's `socket.send() raised exception.` warnings in `count`."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "socket.send() raised exception" in record.getMessage()


@contextlib.contextmanager
def send_warnings_counted() -> Iterator[_SendWarnings]:
    """Inside the block, count asyncio's warnings about writes to a closed socket instead of showing them."""
    asyncio_log, counter = logging.getLogger("asyncio"), _SendWarnings()
    asyncio_log.addHandler(counter)
    asyncio_log.propagate = False
    try:
        yield counter
    finally:
        asyncio_log.removeHandler(counter)
        asyncio_log.propagate = True


# -- backpressure ---------------------------------------------------------------------------------------


def read_slowly(url: str, path: str, rate: float = 16 * MiB) -> tuple[int, float]:
    """GET `path` through a 64 KiB receive buffer at `rate` bytes a second at most: (bytes read, seconds)."""
    with socket.create_connection(_address(url)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KiB)
        sock.sendall(_request_head(url, path))
        started, received = time.perf_counter(), 0
        while n := len(sock.recv(64 * KiB)):
            received += n
            time.sleep(max(0.0, received / rate - (time.perf_counter() - started)))
    return received, time.perf_counter() - started


# -- proxies and compression ----------------------------------------------------------------------------


class ProxiedRun(NamedTuple):
    """through_nginx's answers in the order asked, the direct one, the proxy's location lines, nginx left alive."""

    results: list[RawResponse]
    direct: RawResponse
    location: str
    leftovers: list[Any]


def through_nginx(upstream: str, requests: list[tuple[str, str]], direct_path: str) -> ProxiedRun:
    """GET each (proxy_http_version, path) through a default nginx, and `direct_path` straight, all at once."""
    with reverse_proxy(upstream) as http10, reverse_proxy(upstream, proxy_http_version="1.1") as http11:
        proxies = {"1.0": http10, "1.1": http11}
        with ThreadPoolExecutor(len(requests) + 1) as pool:
            jobs = [pool.submit(raw_request, proxies[version].url, path) for version, path in requests]
            direct = pool.submit(raw_request, upstream, direct_path).result()
            results = [job.result() for job in jobs]
        shown = re.compile(r"proxy_(pass|http_version|buffering)")
        location = "\n".join(line for line in http11.config.splitlines() if shown.search(line))
    return ProxiedRun(results, direct, location, http10.processes() + http11.processes())


class BehindNginx(NamedTuple):
    """One row of stacks_behind_nginx: what a client got through nginx from a stream that fails, and the first byte
    of a stream of ticks."""

    stack: str
    proxy_http_version: str
    framing: str  # the framing the client got from nginx
    last_chunk: bool  # whether the body ended with the final empty chunk: a "complete" response
    curl_exit: int | None  # None: curl is not installed
    first_tick: float  # seconds to the first byte of the /ticks stream


def stacks_behind_nginx(upstreams: dict[str, str], failing: str, ticks: str) -> list[BehindNginx]:
    """For each uvicorn stack (label -> its URL) behind nginx with each proxy_http_version (buffering on, as by
    default): GET `failing` (a stream whose generator raises) and `ticks` (a slow stream) through it."""
    rows = []
    for stack, upstream in upstreams.items():
        for version in ("1.0", "1.1"):
            with reverse_proxy(upstream, proxy_http_version=version) as proxy:
                failed = raw_request(proxy.url, failing)
                curl_exit = read_with_curl(proxy.url + failing)[1] if CURL else None
                first = raw_request(proxy.url, ticks).first_byte
            chunked = failed.headers.get("transfer-encoding") == "chunked"
            rows.append(BehindNginx(stack, version, "chunked" if chunked else "other", failed.body.endswith(b"0\r\n\r\n"),
                                    curl_exit, first))  # fmt: skip
    return rows


def tick_times(url: str, ticks: int = 3) -> tuple[bool, dict[int, float]]:
    """GET `url` asking for gzip: whether it came gzipped, and when each `tick i` line could first be read."""
    text, seen, started = b"", {}, time.perf_counter()
    with httpx.Client() as client, client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        gzipped = response.headers.get("content-encoding") == "gzip"
        decoder = zlib.decompressobj(wbits=31)
        for raw in response.iter_raw():  # decompress what has arrived so far
            text += decoder.decompress(raw) if gzipped else raw
            for i in range(ticks):
                if f"tick {i}\n".encode() in text:
                    seen.setdefault(i, time.perf_counter() - started)
    return gzipped, seen


class Arrivals(NamedTuple):
    """What arrivals() saw: the status, the headers, and when (perf_counter) the request went and each piece came."""

    status: int
    headers: dict[str, str]
    sent: float
    pieces: list[tuple[float, int]]  # (perf_counter when it arrived, bytes received so far)

    @property
    def first_byte(self) -> float:
        """Seconds from sending the request to the status line and headers."""
        return self.pieces[0][0] - self.sent


def arrivals(url: str, headers: dict[str, str] | None = None) -> Arrivals:
    """GET `url` with httpx and note when the headers and each piece of the body arrive (perf_counter)."""
    pieces: list[tuple[float, int]] = []
    sent = time.perf_counter()
    with httpx.Client(timeout=60) as client, client.stream("GET", url, headers=headers) as response:
        pieces.append((time.perf_counter(), 0))
        received = 0
        for raw in response.iter_raw():
            received += len(raw)
            pieces.append((time.perf_counter(), received))
    return Arrivals(response.status_code, dict(response.headers), sent, pieces)


class Download(NamedTuple):
    """What download_watched() saw: status, bytes, the first and last bytes, seconds, and the watched process's RSS."""

    status: int
    received: int
    head: bytes  # the first 8 KiB
    tail: bytes  # the last 200 bytes
    seconds: float
    rss_before: int
    rss_peak: int

    @property
    def rss_growth(self) -> int:
        return self.rss_peak - self.rss_before


def download_watched(url: str, headers: dict[str, str] | None = None, *, pid: int, every: float = 0.005) -> Download:
    """GET `url`, counting the body without keeping it, while sampling process `pid`'s RSS every `every` s."""
    import psutil

    process = psutil.Process(pid)
    before = peak = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, received, head, tail = time.perf_counter(), 0, b"", b""
    try:
        with httpx.Client(timeout=120) as client, client.stream("GET", url, headers=headers) as response:
            for raw in response.iter_raw():
                received += len(raw)
                head += raw[: 8 * 1024 - len(head)]
                tail = (tail + raw)[-200:]
    finally:
        done.set()
        sampler.join()
    peak = max(peak, process.memory_info().rss)
    return Download(response.status_code, received, head, tail, time.perf_counter() - started, before, peak)


# -- when not to stream ---------------------------------------------------------------------------------


class Timing(NamedTuple):
    """Seconds to the first byte and to the whole body: medians to print, the fastest (least disturbed) to assert on."""

    first: float
    whole: float
    fastest_first: float
    fastest_whole: float


def _get_on(sock: socket.socket, request: bytes, buffer: bytearray) -> tuple[float, float]:
    """Send `request` on an open connection and read the whole answer: (seconds to the first byte, to the end)."""
    started = time.perf_counter()
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    first = time.perf_counter() - started
    head, _, body = data.partition(b"\r\n\r\n")
    fields = head.lower().split(b"\r\n")
    length = next((int(field.split(b":")[1]) for field in fields if field.startswith(b"content-length:")), None)
    got, tail = len(body), body[-5:]
    while (got < length) if length is not None else (tail != b"0\r\n\r\n"):  # chunked: ends with an empty chunk
        n = sock.recv_into(buffer)
        got, tail = got + n, (tail + bytes(buffer[max(0, n - 5) : n]))[-5:]
    return first, time.perf_counter() - started


def keep_alive_timings(url: str, path: str, *, runs: int = 3, at_least: float = 0.1) -> Timing:
    """GET `path` on one kept-alive connection after a warm-up, at least `runs` times and `at_least` seconds."""
    request, buffer = _request_head(url, path, close=False), bytearray(MiB)
    with socket.create_connection(_address(url)) as sock:
        _get_on(sock, request, buffer)  # warm up
        done, started = [], time.perf_counter()
        while len(done) < runs or time.perf_counter() - started < at_least:
            done.append(_get_on(sock, request, buffer))
    firsts, wholes = [first for first, _ in done], [whole for _, whole in done]
    return Timing(statistics.median(firsts), statistics.median(wholes), min(firsts), min(wholes))


# -- hostile paths --------------------------------------------------------------------------------------


class Attacked(NamedTuple):
    """What attack() saw: the targets that leaked the secret, and per target its status and the names the app got."""

    leaked: list[str]
    statuses: dict[str, int | str]  # the status code, or the name of the error the connection ended with
    names: dict[str, list[str]]  # the names the endpoint was handed: [] if the request never reached it


def attack(url: str, targets: list[str], names_seen: list[str], *, hide_folder: Path,
           prefix_from: str = "/files/", secret: bytes = b"API_KEY") -> Attacked:
    """Send each target (its /files/ swapped for `prefix_from`), print what came back; return what each one got."""
    leaked: list[str] = []
    statuses: dict[str, int | str] = {}
    names: dict[str, list[str]] = {}
    for target in targets:
        names_seen.clear()  # the endpoints append the name they were given
        sent = target.replace("/files/", prefix_from, 1)
        try:
            status, _, body, _ = raw_request(url, sent)
            statuses[target] = int(status.split()[1])
        except OSError as error:
            status, body = type(error).__name__, b""
            statuses[target] = status
        names[target] = list(names_seen)
        secret_out = secret in body
        leaked += [target] * secret_out
        shown = sent.replace(str(hide_folder), "<data>")
        got = [name.replace(str(hide_folder), "<data>") for name in names_seen]
        print(f"{shown:<42} -> {status[9:]:<26} app got {got!s:<30}{'SECRET LEAKED' if secret_out else ''}")
    return Attacked(leaked, statuses, names)
