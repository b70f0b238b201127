"""Demo harnesses for notebooks/02_streaming_response.ipynb: raw-socket clients, wire dumps, timing tables.

The notebook keeps what it teaches (the endpoints, the generators) in its cells; what only measures them or
prints the bytes they sent lives here, so that each cell shows one idea.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import psutil

from ._server import LiveServer, free_port
from .measure import KiB, MiB, Pinger, download_size, size, traced_peak

__all__ = ["concurrent_peaks", "download_costs", "granian_serving", "print_download_table", "print_pings_table", "raw_get", "show_wire", "timed_download"]

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


def _reads(processes: list[psutil.Process]) -> int | None:
    """read() system calls these processes have made so far (Linux's /proc/<pid>/io `syscr`: file, pipe and socket
    reads; a sendfile() counts one); None where the system does not count them (macOS)."""
    try:
        return sum(p.io_counters().read_count for p in processes)
    except (AttributeError, psutil.Error):
        return None


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    return sum(t.user + t.system for p in processes for t in [p.cpu_times()])


def download_costs(url: str, expected: int, *, repeats: int = 3, others: Iterable[psutil.Process] = ()) -> dict:
    """Download `url` with curl `repeats` times. From the fastest run: GB/s, and for this process (where serve() runs)
    and for `others` (another server's processes): the read() calls made beyond what an empty request costs, and the
    CPU seconds spent."""
    curl = shutil.which("curl")
    if curl is None:
        raise RuntimeError("curl is not installed: apt install curl (Debian, Ubuntu) or brew install curl (macOS)")
    here, there = [psutil.Process()], list(others)

    def one(target: str) -> tuple[float, int, int, float, float]:
        before = [_reads(here) or 0, _reads(there) or 0, _cpu_seconds(here), _cpu_seconds(there)]
        started = time.perf_counter()
        done = subprocess.run([curl, "-sS", "-o", os.devnull, "-w", "%{size_download}", target], capture_output=True,
                              text=True, timeout=120, check=True)  # fmt: skip
        seconds = time.perf_counter() - started
        if target == url and int(done.stdout) != expected:
            raise RuntimeError(f"{url} sent {done.stdout} bytes, not {expected}")
        after = [_reads(here) or 0, _reads(there) or 0, _cpu_seconds(here), _cpu_seconds(there)]
        return seconds, *(b - a for a, b in zip(before, after))

    parts = urllib.parse.urlsplit(url)
    empty = [one(f"{parts.scheme}://{parts.netloc}/no-such-page") for _ in range(repeats)]
    seconds, reads, other_reads, cpu, other_cpu = min(one(url) for _ in range(repeats))
    counted = _reads(here) is not None
    return {"gb_per_s": expected / seconds / 1e9, "cpu_s": cpu, "others_cpu_s": other_cpu,
            "reads": max(0, reads - min(e[1] for e in empty)) if counted else None,
            "others_reads": max(0, other_reads - min(e[2] for e in empty)) if counted and there else None}  # fmt: skip


class Served(NamedTuple):
    url: str
    processes: list[psutil.Process]
    syscalls: Callable[[], dict[str, int] | None]  # after the block: the server's system calls by name (under strace)


def _strace_summary(path: Path) -> dict[str, int]:
    """{"read": 530, ...} from the table `strace -c` writes: % time, seconds, usecs/call, calls, [errors], name."""
    counts = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = int(fields[3])
    return counts


@contextlib.contextmanager
def granian_serving(path: Path, timeout: float = 20.0) -> Iterator[Served]:
    """Serve `path` through Starlette's FileResponse from granian (a server that offers `http.response.pathsend`),
    in processes of its own on 127.0.0.1, under `strace -c -f` where strace is installed, so that the system calls
    it made in its whole run (start-up included) can be counted by name once the block has ended."""
    granian = Path(sys.executable).with_name("granian")
    if not granian.exists():
        raise RuntimeError("granian is not installed in this environment: pip install -r requirements.txt")
    port = free_port()
    course = Path(__file__).resolve().parent.parent
    strace, summary = shutil.which("strace"), Path(tempfile.mkdtemp(prefix="course-strace-")) / "summary.txt"
    traced = [strace, "-f", "-c", "-o", str(summary)] if strace else []
    process = subprocess.Popen(
        [*traced, str(granian), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--http", "1", "--no-ws", "--log-level", "warning", "--working-dir", str(course), "course_lib.file_app:app"],
        env=dict(os.environ, COURSE_SERVED_FILE=str(path)), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    counts: dict[str, int] | None = None
    try:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"granian did not start: {process.stderr.read().decode(errors='replace')[-500:]}")
            time.sleep(0.05)
        main = psutil.Process(process.pid)
        servers = [p for p in [main, *main.children(recursive=True)] if "granian" in " ".join(p.cmdline())]
        yield Served(f"http://127.0.0.1:{port}", servers, lambda: counts)
    finally:
        with contextlib.suppress(psutil.Error):  # granian's own shutdown can wait on its workers; nothing to keep
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)  # under strace: strace sees its tracees gone, writes its table and exits
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything left of the group
        process.wait(10)
        process.stderr.close()
        if strace and summary.exists():
            counts = _strace_summary(summary)
        shutil.rmtree(summary.parent, ignore_errors=True)


def concurrent_peaks(url: str, counts: Iterable[int]) -> dict[int, int]:
    """For each n in `counts`: n clients download `url` (with "{n}" in it replaced by n) at once, over plain sockets;
    the peak of Python's allocations in this process (where serve() runs) above the start, in bytes."""
    from concurrent.futures import ThreadPoolExecutor

    peaks = {}
    for n in counts:
        with traced_peak() as python, ThreadPoolExecutor(n) as pool:
            list(pool.map(download_size, [url.replace("{n}", str(n))] * n))
        peaks[n] = python.peak
    return peaks
