"""`python -m bench [--size-mib N] [--repeats N]`: throughput, memory and machinery figures, side by side.

Every comparison is a ratio measured in the same run (absolute numbers drift on shared machines); every
figure is the median of several runs with min-max.  The client is curl (or, for many small requests, one
reused connection), never the bottleneck httpx would be.  Results: a table on stdout, bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`uvicorn bench.apps:app` in its own process, with its RSS high-water mark sampled from outside."""

    def __init__(self, file: Path, http: str = "h11", loop: str = "asyncio") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, BENCH_FILE=str(file), COURSE_ANSWERS="solutions", PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bench.apps:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--http", http, "--loop", loop, "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/docs", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the bench server did not start")

    def rss(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def timed_downloads(server: Server, path: str, clients: int, headers: tuple[str, ...] = ()) -> tuple[float, int, int]:
    """(seconds, bytes received in all, server RSS peak) for `clients` concurrent curl downloads of `path`."""
    peak = [server.rss()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    command = ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}"]
    for header in headers:
        command += ["-H", header]
    started = time.perf_counter()
    processes = [subprocess.Popen([*command, server.url + path], stdout=subprocess.PIPE) for _ in range(clients)]
    received = sum(int(p.communicate()[0] or 0) for p in processes)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, received, peak[0]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def throughput(server: Server, path: str, clients: int, repeats: int, headers: tuple[str, ...] = ()) -> dict:
    speeds, peaks = [], []
    for _ in range(repeats):
        seconds, received, peak = timed_downloads(server, path, clients, headers)
        speeds.append(received / seconds / 1e9)
        peaks.append(peak / MiB)
    return {"gb_per_s": summary(speeds), "server_rss_peak_mib": summary(peaks), "clients": clients}


def small_ranges(server: Server, path: str, size: int, count: int, repeats: int) -> dict:
    """Requests per second for `count` random 4 KiB ranges over one kept-alive connection."""
    rng = random.Random(7)
    offsets = [rng.randrange(0, size - 4096) for _ in range(count)]
    rates = []
    with httpx.Client(base_url=server.url) as client:
        for _ in range(repeats):
            started = time.perf_counter()
            for offset in offsets:
                response = client.get(path, headers={"Range": f"bytes={offset}-{offset + 4095}"})
                assert response.status_code == 206 and len(response.content) == 4096
            rates.append(count / (time.perf_counter() - started))
    return {"requests_per_s": summary(rates)}


def machinery(cycles: int = 50) -> dict:
    """serve() start-to-accepting and stop, also with an endless stream open."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse, StreamingResponse
    from starlette.routing import Route

    from course_lib import serve

    async def hello(request):
        return PlainTextResponse("hi")

    async def endless(request):
        async def forever():
            while True:
                yield b"x" * 1024
                await asyncio.sleep(0.001)

        return StreamingResponse(forever())

    app = Starlette(routes=[Route("/", hello), Route("/endless", endless)])
    serve(app, name="bench").stop()
    starts, stops, stream_stops = [], [], []
    for _ in range(cycles):
        started = time.perf_counter()
        server = serve(app, name="bench")
        starts.append((time.perf_counter() - started) * 1000)
        server.client.get("/")
        started = time.perf_counter()
        server.stop()
        stops.append((time.perf_counter() - started) * 1000)
    for _ in range(10):
        server = serve(app, name="bench")
        with httpx.Client(base_url=server.url) as client, client.stream("GET", "/endless") as response:
            next(response.iter_bytes())
            started = time.perf_counter()
            server.stop()
            stream_stops.append((time.perf_counter() - started) * 1000)
    return {
        "start_ms": {**summary(starts), "cycles": cycles},
        "stop_ms": summary(stops),
        "stop_with_endless_stream_ms": summary(stream_stops),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the served file (default 1024)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        print("make bench needs curl (the client that is not the bottleneck)", file=sys.stderr)
        return 2

    os.environ.setdefault("COURSE_ANSWERS", "solutions")
    from course_lib.playground import sample_file

    size = args.size_mib * MiB
    big = sample_file(f"bench-{args.size_mib}MiB.bin", size)
    curve_file = sample_file("bench-64MiB.bin", 64 * MiB)
    results: dict = {"file_mib": args.size_mib, "repeats": args.repeats, "python": sys.version.split()[0]}
    lines: list[str] = []

    server = Server(big)
    try:
        variants = {}
        for name, path, client_counts in (
            ("reference file_chunks, 1 MiB", "/reference", (1, 4)),
            ("FileResponse (64 KiB)", "/fileresponse", (1, 4)),
            ("Response(f.read())", "/naive", (1,)),  # 4 clients would hold ~4 x 3 x the file
        ):
            for clients in client_counts:
                variants[f"{name}, {clients} client{'s' * (clients > 1)}"] = throughput(
                    server, path, clients, args.repeats
                )
        results["throughput_h11"] = variants
        base1 = variants["FileResponse (64 KiB), 1 client"]["gb_per_s"]["median"]
        base4 = variants["FileResponse (64 KiB), 4 clients"]["gb_per_s"]["median"]
        lines.append(f"Throughput, {args.size_mib} MiB file, uvicorn h11 + asyncio, curl clients "
                     f"(median of {args.repeats}, min-max; x = ratio to FileResponse in this run)")  # fmt: skip
        for name, figures in variants.items():
            speed, rss = figures["gb_per_s"], figures["server_rss_peak_mib"]
            base = base4 if figures["clients"] == 4 else base1
            lines.append(f"  {name:<40} {speed['median']:6.2f} GB/s ({speed['min']:.2f}-{speed['max']:.2f})"
                         f"  x{speed['median'] / base:4.1f}   server RSS peak {rss['median']:7.0f} MiB")  # fmt: skip

        tail = f"bytes=-{100 * MiB}"
        results["range_last_100mib"] = {
            "reference send_blob": throughput(server, "/range", 1, args.repeats, (f"Range: {tail}",)),
            "FileResponse": throughput(server, "/fileresponse", 1, args.repeats, (f"Range: {tail}",)),
        }
        results["range_small_random"] = {
            "reference send_blob": small_ranges(server, "/range", size, 300, args.repeats),
            "FileResponse": small_ranges(server, "/fileresponse", size, 300, args.repeats),
        }
        ref, stock = (results["range_last_100mib"][k]["gb_per_s"]["median"] for k in ("reference send_blob", "FileResponse"))
        lines.append(f"Range {tail}: reference {ref:.2f} GB/s, FileResponse {stock:.2f} GB/s (x{ref / stock:.1f})")
        ref, stock = (results["range_small_random"][k]["requests_per_s"]["median"] for k in ("reference send_blob", "FileResponse"))
        lines.append(f"300 random 4 KiB ranges, one connection: reference {ref:.0f} req/s, FileResponse {stock:.0f} req/s (x{ref / stock:.2f})")
    finally:
        server.stop()

    curve_server = Server(curve_file)
    try:
        curve = {}
        for power in range(0, 13, 2):  # 1 KiB ... 4 MiB
            chunk = 1024 << power
            curve[str(chunk)] = throughput(curve_server, f"/reference?chunk={chunk}", 1, args.repeats)
        results["chunk_size_curve_64mib"] = curve
        lines.append("Chunk-size curve of the reference streamer (64 MiB file, 1 client): " + ", ".join(
            f"{int(c) // 1024} KiB {f['gb_per_s']['median']:.3f}" for c, f in curve.items()) + " GB/s")  # fmt: skip
    finally:
        curve_server.stop()

    results["machinery"] = machinery()
    m = results["machinery"]
    lines.append(f"serve(): start {m['start_ms']['median']:.1f} ms (max {m['start_ms']['max']:.1f}), "
                 f"stop {m['stop_ms']['median']:.1f} ms (max {m['stop_ms']['max']:.1f}), "
                 f"stop with an endless stream open {m['stop_with_endless_stream_ms']['median']:.1f} ms")  # fmt: skip

    not_measured = []
    if shutil.which("nginx") is None:
        not_measured.append("nginx + sendfile: nginx is not installed on this machine")
    not_measured.append("uvicorn[standard] (httptools + uvloop): not in the pinned requirements")
    not_measured.append("check() wall time per exercise and the whole course under nbval")
    results["not_measured"] = not_measured
    lines += ["Not measured in this run:"] + [f"  - {item}" for item in not_measured]

    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))
    print(f"(figures as JSON in {out.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
