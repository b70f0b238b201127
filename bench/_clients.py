"""Clients that are never the bottleneck: curl for downloads, a bare kept-alive socket for many small requests.

httpx would be (it tops out near 0.4-0.6 GB/s here, while curl and a socket loop reach ~2.5 GB/s).
"""

from __future__ import annotations

import random
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import psutil

from ._servers import ServerProcess

MiB = 1 << 20
GiB = 1 << 30


@dataclass
class Run:
    """One measurement: `clients` concurrent downloads of the same URL."""

    clients: int
    bytes: int
    seconds: float  # the slowest client's curl time_total: all of them start within a few ms
    cpu_seconds: float  # the server's user + system CPU time during the run
    cpu_system_seconds: float  # the kernel's part of it (sendfile, socket writes, loopback delivery)
    rss_before: int
    rss_peak: int
    capped: bool = False  # the server was stopped because its memory passed the cap

    @property
    def gb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e9

    @property
    def cpu_per_gib(self) -> float:
        return self.cpu_seconds / (self.bytes / GiB)

    @property
    def growth_per_download_mib(self) -> float:
        return max(0, self.rss_peak - self.rss_before) / self.clients / MiB


class MemoryGuard:
    """Samples the server's RSS while a run lasts; kills the server if it passes `cap` bytes or the machine runs low."""

    def __init__(self, server: ServerProcess, cap: int | None, keep_free: int = 1 * GiB) -> None:
        self.server, self.cap, self.keep_free = server, cap, keep_free
        self.peak = 0
        self.tripped = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                rss = self.server.rss()
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            too_big = self.cap is not None and rss > self.cap
            if too_big or psutil.virtual_memory().available < self.keep_free:
                self.tripped = True
                self.server.kill()
                return
            time.sleep(0.01)

    def __enter__(self) -> MemoryGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()


def curl_downloads(
    server: ServerProcess,
    path: str,
    clients: int,
    expect_status: int,
    expect_bytes: int,
    headers: tuple[str, ...] = (),
    cap: int | None = None,
) -> Run:
    """`clients` concurrent curl downloads of `path`; each must answer `expect_status` with `expect_bytes` bytes."""
    server.reset_peak()
    rss_before, cpu_before = server.rss(), server.cpu_times()
    command = ["curl", "-sS", "--max-time", "900", "-o", "/dev/null",
               "-w", "%{http_code} %{size_download} %{time_total}"]  # fmt: skip
    for header in headers:
        command += ["-H", header]
    with MemoryGuard(server, cap) as guard:
        processes = [
            subprocess.Popen([*command, server.url + path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(clients)
        ]
        outputs = [p.communicate() for p in processes]
    if guard.tripped:
        return Run(clients, 0, float("nan"), float("nan"), float("nan"), rss_before, guard.peak, capped=True)
    cpu_after = server.cpu_times()
    peak = server.peak_rss() or guard.peak
    total, slowest = 0, 0.0
    for process, (out, err) in zip(processes, outputs):
        status, received, seconds = out.decode().split()
        if process.returncode != 0 or int(status) != expect_status or int(received) != expect_bytes:
            raise RuntimeError(
                f"GET {path}: curl exit {process.returncode}, status {status}, {received} bytes "
                f"(expected {expect_status} with {expect_bytes} bytes) {err.decode().strip()}"
            )
        total += int(received)
        slowest = max(slowest, float(seconds))
    cpu_seconds = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
    return Run(clients, total, slowest, cpu_seconds, cpu_after.system - cpu_before.system, rss_before, peak)


def random_ranges(server: ServerProcess, path: str, file: Path, count: int, span: int = 4096, seed: int = 7) -> float:
    """Requests per second for `count` random `span`-byte ranges of `file`, one after another on one connection.

    Every answer must be a 206 with exactly the bytes asked for.
    """
    size = file.stat().st_size
    rng = random.Random(seed)
    wanted = []
    with open(file, "rb") as f:
        for _ in range(count):
            first = rng.randrange(0, size - span)
            f.seek(first)
            wanted.append((first, f.read(span)))
    parts = urllib.parse.urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        started = time.perf_counter()
        for first, body in wanted:
            request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nRange: bytes={first}-{first + span - 1}\r\n\r\n"
            sock.sendall(request.encode("ascii"))
            status = int(reader.readline().split()[1])
            length = None
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if status != 206 or length != span or reader.read(length) != body:
                raise RuntimeError(f"GET {path} with Range bytes={first}-{first + span - 1}: status {status}, "
                                   f"Content-Length {length}, not the {span} bytes asked for")  # fmt: skip
        return count / (time.perf_counter() - started)
