"""Small measuring tools for the notebooks and the checks: peak memory two ways, open files, sizes in words,
/ping latencies sampled from a thread (Pinger), and the garbage collector held still (collector_paused).

    with traced_peak() as py:        # what Python allocated (tracemalloc), exact, slows Python code down
        data = f.read()
    with rss_peak() as rss:          # what the OS gave the process (psutil), sampled in a thread
        data = f.read()
    print(size(py.peak), size(rss.peak))

`traced_peak` counts only memory that Python code allocates while the block runs, so it answers "how much
did this code hold at once?" without noise from the rest of the process.  `rss_peak` watches the whole
process from outside, the number a container's memory limit sees; it samples every millisecond, so a
spike shorter than that can be missed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import socket
import threading
import time
import tracemalloc
import urllib.parse
from pathlib import Path
from typing import Iterator

import httpx
import psutil

KiB = 1024
MiB = 1024 * KiB


def size(n: int) -> str:
    """1048576 -> '1 MiB', 1536 -> '1.5 KiB', 17 -> '17 B' (deterministic, for messages)."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", KiB)):
        if n >= factor:
            value = n / factor
            text = f"{value:.1f}"
            return f"{text[:-2] if text.endswith('.0') else text} {unit}"
    return f"{n} B"


def is_open(path) -> bool:
    """Whether this process holds `path` open right now (read from the OS, not from Python)."""
    target = os.path.realpath(path)
    return any(os.path.realpath(f.path) == target for f in psutil.Process().open_files())

__all__ = ["ContainerMemory", "WriteCost", "KiB", "MiB", "Peak", "Pinger", "collector_paused", "container_memory", "cost_of_writing", "download_size", "is_open", "ms", "rss", "rss_peak", "size", "traced_peak"]


@dataclasses.dataclass
class Peak:
    """Memory seen while a `with` block ran, in bytes: `peak` is above what was in use when it started."""

    peak: int = 0
    start: int = 0

    @property
    def mib(self) -> float:
        return self.peak / MiB


@contextlib.contextmanager
def traced_peak() -> Iterator[Peak]:
    """The peak of Python allocations made inside the block, above what was allocated before it."""
    result = Peak()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    result.start = tracemalloc.get_traced_memory()[0]
    try:
        yield result
    finally:
        result.peak = max(0, tracemalloc.get_traced_memory()[1] - result.start)
        if not was_tracing:
            tracemalloc.stop()


def rss() -> int:
    """This process's resident set size right now, in bytes."""
    return psutil.Process().memory_info().rss


@contextlib.contextmanager
def rss_peak(interval: float = 0.001) -> Iterator[Peak]:
    """The highest resident set size sampled while the block ran, above the RSS when it started."""
    process = psutil.Process()
    result = Peak(start=process.memory_info().rss)
    highest = [result.start]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            highest[0] = max(highest[0], process.memory_info().rss)
            time.sleep(interval)

    sampler = threading.Thread(target=sample, name="rss-sampler", daemon=True)
    sampler.start()
    try:
        yield result
    finally:
        highest[0] = max(highest[0], process.memory_info().rss)
        done.set()
        sampler.join()
        result.peak = max(0, highest[0] - result.start)


def download_size(url: str, bufsize: int = 1 << 20) -> int:
    """GET `url` over a plain socket and count the bytes that arrive until the server closes.

    A bare socket loop, so that the client is never the bottleneck when a server's speed is measured
    (httpx reads 64 KiB at a time and parses every chunk).  The count includes the status line, the
    headers and the chunked-encoding framing: the bytes on the wire.
    """
    parts = urllib.parse.urlsplit(url)
    request = (
        f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    buffer = bytearray(bufsize)
    total = 0
    with socket.create_connection((parts.hostname, parts.port or 80), timeout=30) as sock:
        sock.sendall(request)
        while received := sock.recv_into(buffer):
            total += received
    return total


def ms(seconds: float) -> str:
    """0.0123 -> '12 ms'."""
    return f"{seconds * 1000:.0f} ms"


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


@dataclasses.dataclass(frozen=True)
class ContainerMemory:
    """What the memory cgroup of this process counts (a container's limit, `docker stats`, Kubernetes): `usage` in all,
    `anon` (processes' own memory: heap, stacks) and `file` (the page cache of files they read or wrote), in bytes."""

    usage: int
    anon: int
    file: int
    cgroup: str  # "v1" or "v2"


def _cgroup_dir(version_line: str) -> Path | None:
    """This process's cgroup folder, from a /proc/self/cgroup line ("0::/path" or "4:memory:/path")."""
    path = version_line.rstrip("\n").split(":", 2)[2].lstrip("/")
    root = Path("/sys/fs/cgroup") if version_line.startswith("0::") else Path("/sys/fs/cgroup/memory")
    for folder in (root / path, root):  # inside a container the cgroup's own folder is often mounted as the root
        if (folder / ("memory.current" if root.name == "cgroup" else "memory.usage_in_bytes")).exists():
            return folder
    return None


def container_memory() -> ContainerMemory | None:
    """This process's memory cgroup, read from /sys/fs/cgroup (v2 or v1); None where there is none to read (macOS,
    Windows, a sandbox that hides it)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        v1 = ":memory:" in line
        if not (v1 or line.startswith("0::")):
            continue
        folder = _cgroup_dir(line)
        if folder is None:
            continue
        try:
            stat = dict(row.split() for row in (folder / "memory.stat").read_text().splitlines() if " " in row)
            if v1:
                usage = int((folder / "memory.usage_in_bytes").read_text())
                return ContainerMemory(usage, int(stat["rss"]), int(stat["cache"]), "v1")
            usage = int((folder / "memory.current").read_text())
            return ContainerMemory(usage, int(stat["anon"]), int(stat["file"]), "v2")
        except (OSError, KeyError, ValueError):
            continue
    return None


@dataclasses.dataclass(frozen=True)
class WriteCost:
    """What writing a file did to this process's RSS and to its memory cgroup (None: no cgroup to read), in bytes."""

    rss: int
    cgroup_file: int | None
    cgroup_usage: int | None
    cgroup: str | None


def cost_of_writing(path: Path, size_mib: int, attempts: int = 3) -> WriteCost:
    """Write `size_mib` MiB of random bytes to `path`, read RSS and the cgroup before and after, delete the file.

    Everything else in the cgroup (another kernel on a shared hub, a browser on a laptop) moves its numbers too, so
    this tries up to `attempts` times and keeps the attempt whose page cache grew the most."""
    me, best = psutil.Process(), None
    for _ in range(attempts):
        rss_before, cgroup_before = me.memory_info().rss, container_memory()
        with open(path, "wb") as f:
            for _ in range(size_mib):
                f.write(os.urandom(MiB))
        rss_after, cgroup_after = me.memory_info().rss, container_memory()
        path.unlink()
        if cgroup_before is None or cgroup_after is None:
            return WriteCost(rss_after - rss_before, None, None, None)
        cost = WriteCost(rss_after - rss_before, cgroup_after.file - cgroup_before.file,
                         cgroup_after.usage - cgroup_before.usage, cgroup_after.cgroup)  # fmt: skip
        best = cost if best is None or cost.cgroup_file > best.cgroup_file else best
        if best.cgroup_file >= 0.9 * size_mib * MiB:
            break
    return best
