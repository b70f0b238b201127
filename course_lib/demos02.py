"""Demo harnesses for notebooks/02_streaming_response.ipynb: raw-socket clients, wire dumps, timing tables.

The notebook keeps what it teaches (the endpoints, the generators) in its cells; what only measures them or
prints the bytes they sent lives here, so that each cell shows one idea.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterable

import psutil

from ._server import LiveServer
from .measure import KiB, MiB, Pinger, size

__all__ = ["download_costs", "print_download_table", "print_pings_table", "raw_get", "show_wire", "timed_download"]

Timeline = list[tuple[float, int]]


def _open_get(url: str, version: str = "1.1") -> socket.socket:
    """A socket that has sent `GET url` (with Connection: close) and is ready to be read."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    sock.sendall(f"GET {target} HTTP/{version}\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
    return sock


def raw_get(url: str, version: str = "1.1") -> bytes:
    """The exact bytes a server sends for GET `url`, read from a plain socket until the server closes it."""
    answer = bytearray()
    with _open_get(url, version) as sock:
        while piece := sock.recv(64 * KiB):
            answer += piece
    return bytes(answer)


def show_wire(answer: bytes) -> None:
    """Print a raw answer: the status line and headers as text, then the body as Python bytes."""
    head, _, body = answer.partition(b"\r\n\r\n")
    print(head.decode("latin-1"), end="\n\n")
    print(body)


def timed_download(url: str, every: float = 0.002) -> tuple[Timeline, Timeline]:
    """GET `url` into one reused 1 MiB buffer: [(s, bytes so far)] per recv() and [(s, RSS rise)] every `every` s."""
    process = psutil.Process()  # this kernel, which is also the server
    start_rss = process.memory_info().rss
    received: Timeline = []
    memory: Timeline = []
    done = threading.Event()
    started = time.perf_counter()

    def sample_rss() -> None:
        while not done.is_set():
            memory.append((time.perf_counter() - started, process.memory_info().rss - start_rss))
            time.sleep(every)

    sampler = threading.Thread(target=sample_rss, name="course-demo-rss", daemon=True)
    sampler.start()
    buffer, total = bytearray(MiB), 0
    try:
        with _open_get(url) as sock:
            while n := sock.recv_into(buffer):
                total += n
                received.append((time.perf_counter() - started, total))
    finally:
        done.set()
        sampler.join()
    return received, memory


def print_download_table(runs: dict[str, tuple[Timeline, Timeline]]) -> None:
    """One row per download: first and last byte, peak RSS rise, and the longest gap between RSS samples."""
    print(f"{'':>9} {'first byte':>11} {'last byte':>10} {'RSS rise (peak)':>16} {'longest gap between samples':>28}")
    for name, (received, memory) in runs.items():
        peak = max(0, max(rise for _, rise in memory))
        gap = max(later - earlier for (earlier, _), (later, _) in zip(memory, memory[1:]))
        print(f"{name:>9} {received[0][0]:>9.3f} s {received[-1][0]:>8.2f} s {size(peak):>16} {gap:>26.2f} s")


def _pings_during(server: LiveServer, path: str | None) -> tuple[list[str], float, list[float]]:
    """GET `path` (or wait 0.5 s for None) while another client pings /ping: its lines, seconds, ping latencies."""
    with Pinger(server.url) as pinger:
        time.sleep(0.05)  # the pinger is under way before the stream starts
        started = time.perf_counter()
        text = server.client.get(path).text if path else time.sleep(0.5) or ""
        elapsed = time.perf_counter() - started
    return sorted(set(text.split("\n")) - {""}), elapsed, pinger.latencies


def print_pings_table(server: LiveServer, paths: Iterable[str | None]) -> None:
    """For each stream (None: no stream), the threads that made it, how long it took, and how /ping fared."""
    print(f"{'stream':<22} {'ran in thread':<24} {'took':>6} {'pings':>6} {'slowest ping':>13}")
    for path in paths:
        threads, elapsed, latencies = _pings_during(server, path)
        print(f"{path or '(none)':<22} {', '.join(threads) or '-':<24} {elapsed:>4.2f} s {len(latencies):>6} "
              f"{max(latencies) * 1000:>10.0f} ms")  # fmt: skip


def _reads_so_far() -> int:
    """read() system calls this process has made (Linux /proc/self/io `syscr`; file reads, pipe reads and the like);
    0 where there is no /proc (macOS), so the differences below come out as 0 and `download_costs` says None."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("syscr:"))
    except OSError:
        return 0


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(t.user + t.system for p in processes for t in [p.cpu_times()])


def download_costs(url: str, expected: int, *, repeats: int = 3, others: Iterable[psutil.Process] = ()) -> dict:
    """Download `url` with curl `repeats` times; from the fastest run: GB/s, the read() calls this process made beyond
    what an empty download costs, and the CPU seconds of this process (where serve() runs) and of `others`."""
    curl = shutil.which("curl")
    if curl is None:
        raise RuntimeError("curl is not installed: apt install curl (Debian, Ubuntu) or brew install curl (macOS)")
    me, others = psutil.Process(), list(others)

    def one(target: str) -> tuple[float, int, float, float]:
        reads, cpu, other_cpu = _reads_so_far(), _cpu_seconds([me]), _cpu_seconds(others)
        started = time.perf_counter()
        done = subprocess.run([curl, "-sS", "-o", os.devnull, "-w", "%{size_download}", target], capture_output=True,
                              text=True, timeout=120, check=True)  # fmt: skip
        seconds = time.perf_counter() - started
        if target == url and int(done.stdout) != expected:
            raise RuntimeError(f"{url} sent {done.stdout} bytes, not {expected}")
        return seconds, _reads_so_far() - reads, _cpu_seconds([me]) - cpu, _cpu_seconds(others) - other_cpu

    parts = urllib.parse.urlsplit(url)
    empty = min(one(f"{parts.scheme}://{parts.netloc}/no-such-page")[1] for _ in range(repeats))
    seconds, reads, cpu, other_cpu = min(one(url) for _ in range(repeats))
    counted = os.path.exists("/proc/self/io")
    return {"gb_per_s": expected / seconds / 1e9, "reads": max(0, reads - empty) if counted else None, "cpu_s": cpu,
            "others_cpu_s": other_cpu}
