"""`python -m bench`: the course's performance claims and its reference solutions, measured side by side.

Every comparison is a ratio measured in the same run, on the same protocol stack (absolute numbers drift on
shared machines); every figure is the median of several runs with min-max.  Downloads are made by curl (and
many small requests by a bare kept-alive socket), never by httpx, which would be the bottleneck.
Prints one table, each target beside the figure it is judged on, and writes the same figures to
bench/results.json.

Settings also come from the environment: BENCH_SIZE_MIB, BENCH_REPEATS, BENCH_SKIP (comma-separated
sections), BENCH_NGINX (the nginx binary).  A smoke run in well under a minute:
    python -m bench --size-mib 16 --repeats 1 --skip checks,nbval,grading
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from ._clients import GiB, MiB, Run, curl_downloads, random_ranges
from ._servers import ROOT, STACKS, Nginx, Stack, Uvicorn, nginx_binary, nginx_version

SECTIONS = ("throughput", "ranges", "curve", "machinery", "checks", "nbval", "grading")
CLIENT_COUNTS = (1, 4)


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    path: str
    seen: str = ""  # one client, on a 2-core machine like CI's, when the targets were set


VARIANTS = (
    Variant("reference", "reference file_chunks (1 MiB), chunked", "/reference", "1.55-1.83 GB/s"),
    Variant("reference_length", "  the same + Content-Length", "/reference-length", "1.9-2.2 GB/s"),
    Variant("fileresponse", "FileResponse as shipped (64 KiB)", "/fileresponse", "0.30 h11, 0.34 httptools"),
    Variant("naive", "Response(f.read())", "/naive", "0.14-0.8 GB/s, RSS 1-3 GiB"),
)
NGINX = Variant("nginx", "nginx, sendfile", "/file", "2.2-3.7 GB/s")
#: The app answers X-Accel-Redirect, nginx sends the file (sendfile): one request to the app per download.
NGINX_ACCEL = Variant("accel", "X-Accel-Redirect: app decides, nginx sends", "/accel")  # CPU, RSS: nginx's

#: Range requests: the reference send_blob as shipped, the same reading larger chunks (what-ifs), FileResponse.
RANGE_VARIANTS = {
    "range": ("/range", "reference send_blob, as shipped (ch03 CHUNK_SIZE)"),
    "range_256kib": ("/range-256kib", "  send_blob, read_range at 256 KiB"),
    "range_1mib": ("/range-1mib", "  send_blob, read_range at 1 MiB"),
    "fileresponse": ("/fileresponse", "FileResponse as shipped"),
}

#: Exercises whose check waits on purpose, so the 1 s target does not apply (the reason is shown).
TIMED_ON_PURPOSE = {
    "1.5": "reads a pipe that delivers a piece every 0.12 s, on purpose",
    "3.4": "lets the download back off and retry, with real sleeps",
    "4.1": "its sensor blocks for 1 s on purpose while /ping latency is timed",
}

#: The targets; the run marks each met or missed.  Three were set tighter than first proposed (in comments)
#: after measuring at least 5x better, on a loaded 2-core machine too.
TARGET = {
    "ref_vs_fileresponse": 4.0,
    "ref_vs_nginx_1": 0.7,
    "ref_vs_nginx_4": 0.6,
    "ref_cpu_per_gib": 0.5,
    "ref_growth_mib": 8.0,  # was 16: measured 0-4 MiB per download
    "range_vs_fileresponse": 2.0,
    "range_vs_nginx": 0.8,  # the reference range endpoint against nginx serving the same suffix range
    "serve_start_ms": 5.0,  # was 10: median 0.9-1.3 ms
    "serve_stop_ms": 50.0,  # was 250: median 0.6-6.6 ms, an endless stream open or not
    "check_s": 1.0,
    "nbval_s": 90.0,
    "grade_cpu_s": 30.0,  # one core-second budget per submission of the whole course, sandbox on (issue: 300 learners)
}


# -- figures -------------------------------------------------------------------------------------------


def summary(values: Iterable[float]) -> dict | None:
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def spread(s: dict | None, fmt: str = ".2f", unit: str = "") -> str:
    if s is None:
        return "-"
    if s["n"] == 1:
        return f"{s['median']:{fmt}}{unit}"
    return f"{s['median']:{fmt}}{unit} ({s['min']:{fmt}}-{s['max']:{fmt}})"


def ratios(top: list[Run], bottom: list[Run]) -> dict | None:
    """top/bottom speed, run by run (the same repeat of the same run), as median (min-max)."""
    return summary(a.gb_per_s / b.gb_per_s for a, b in zip(top, bottom) if not (a.capped or b.capped))


def plural(clients: int) -> str:
    return f"{clients} client{'s' * (clients != 1)}"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- throughput and ranges, per protocol stack -----------------------------------------------------------


@dataclass
class StackResult:
    stack: Stack
    runs: dict[str, dict[int, list[Run]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tail_runs: dict[str, list[Run]] = field(default_factory=dict)
    small_ranges: dict[str, list[float]] = field(default_factory=dict)
    tail: int = 0  # the suffix range asked for, in bytes


def measure_stack(stack: Stack, big: Path, args, nginx_bin: str | None, naive_cap: int, sections: set) -> StackResult:
    result = StackResult(stack)
    servers = {v.key: Uvicorn(big, stack) for v in VARIANTS}  # one process each: their memory stays apart
    wanted = {"throughput", "ranges"} & sections
    nginx = Nginx(big, nginx_bin, servers["reference"].url) if nginx_bin and wanted else None
    try:
        if "throughput" in sections:
            variants = [(v, servers[v.key]) for v in VARIANTS] + ([(NGINX, nginx), (NGINX_ACCEL, nginx)] if nginx else [])
            measure_throughput(result, variants, big.stat().st_size, args.repeats, naive_cap)
        if "ranges" in sections:
            measure_ranges(result, servers, nginx, big, args.repeats, args.ranges)
    finally:
        for server in servers.values():
            server.stop()
        if nginx:
            nginx.stop()
    return result


def rotated(items: list, repeat: int) -> list:
    """The same items, starting one further on each repeat, so no variant always runs first or last."""
    shift = repeat % len(items)
    return items[shift:] + items[:shift]


def measure_throughput(result: StackResult, variants: list, size: int, repeats: int, naive_cap: int) -> None:
    for v, _ in variants:
        result.runs[v.key] = {c: [] for c in CLIENT_COUNTS}
    for v, server in variants:  # warm-up, not counted: worker threads, first-request imports, the allocator
        if curl_downloads(server, v.path, 1, 200, size, cap=naive_cap if v.key == "naive" else None).capped:
            server.restart()
    naive_skip = None
    for repeat in range(repeats):
        for clients in CLIENT_COUNTS:
            say(f"  {result.stack.label}: throughput, {plural(clients)}, run {repeat + 1}/{repeats}")
            for v, server in rotated(variants, repeat):
                cap = naive_cap if v.key == "naive" else None
                if v.key == "naive" and clients > 1:
                    naive_skip = naive_skip or naive_estimate_too_big(result, clients, naive_cap, server)
                    if naive_skip:
                        continue
                run = curl_downloads(server, v.path, clients, 200, size, cap=cap)
                result.runs[v.key][clients].append(run)
                if run.capped:
                    result.notes.append(f"{v.label}, {plural(clients)}: stopped at the memory cap "
                                        f"({naive_cap / GiB:.1f} GiB RSS) in run {repeat + 1}")  # fmt: skip
                    server.restart()
                    if clients > 1:
                        naive_skip = "it passed the memory cap"
    if naive_skip:
        result.notes.append(f"Response(f.read()) with {max(CLIENT_COUNTS)} clients not run: {naive_skip}")


def measure_ranges(result: StackResult, servers: dict, nginx, big: Path, repeats: int, count: int) -> None:
    result.tail = tail = min(100 * MiB, big.stat().st_size // 2)
    targets = [(key, servers["fileresponse" if key == "fileresponse" else "reference"], path)
               for key, (path, _) in RANGE_VARIANTS.items()]  # fmt: skip
    if nginx is not None:
        targets.append(("nginx", nginx, "/file"))
    result.tail_runs = {key: [] for key, _, _ in targets}
    result.small_ranges = {key: [] for key, _, _ in targets}
    for repeat in range(repeats):
        say(f"  {result.stack.label}: ranges, run {repeat + 1}/{repeats}")
        for key, server, path in rotated(targets, repeat):
            run = curl_downloads(server, path, 1, 206, tail, headers=(f"Range: bytes=-{tail}",))
            result.tail_runs[key].append(run)
            result.small_ranges[key].append(random_ranges(server, path, big, count))


def run_json(run: Run) -> dict:
    if run.capped:
        return {"clients": run.clients, "capped": True, "rss_peak": run.rss_peak}
    return asdict(run) | {"gb_per_s": run.gb_per_s, "cpu_s_per_gib": run.cpu_per_gib,
                          "rss_growth_per_download_mib": run.growth_per_download_mib}  # fmt: skip


def naive_estimate_too_big(result: StackResult, clients: int, cap: int, server: Uvicorn) -> str | None:
    """Why `clients` naive downloads at once should not even start, or None (the memory guard watches the rest).

    Each one holds at least the whole file; with one download the server's RSS grew by a few times that,
    but concurrent downloads overlap only partly, so anything more than the minimum is left to the guard.
    """
    if any(r.capped for r in result.runs["naive"][1]):
        return "a single download already passed the cap"
    least = server.rss() + clients * server.file.stat().st_size
    if least > cap:
        return f"{clients} copies of the file alone would pass the {cap / GiB:.1f} GiB cap"
    return None


# -- the chunk-size curve (notebook 01) --------------------------------------------------------------------


def measure_curve(file: Path, repeats: int) -> dict:
    """The reference streamer at chunk sizes 1 KiB ... 4 MiB, on plain uvicorn (the stack serve() runs)."""
    size = file.stat().st_size
    chunks = [1024 * 4**i for i in range(7)]
    runs: dict[int, list[Run]] = {c: [] for c in chunks}
    server = Uvicorn(file, STACKS["h11"])
    try:
        for repeat in range(repeats):
            say(f"  chunk-size curve, run {repeat + 1}/{repeats}")
            for chunk in rotated(chunks, repeat):
                runs[chunk].append(curl_downloads(server, f"/reference?chunk={chunk}", 1, 200, size))
    finally:
        server.stop()
    speeds = {c: statistics.median(r.gb_per_s for r in runs[c]) for c in chunks}
    best = max(speeds.values())
    near_best = next(c for c in chunks if speeds[c] >= 0.9 * best)
    return {
        "file_mib": size // MiB,
        "stack": "h11 + asyncio",
        "points": {
            str(c): {
                "gb_per_s": summary(r.gb_per_s for r in runs[c]),
                "us_per_chunk": statistics.median(r.seconds for r in runs[c]) / -(-size // c) * 1e6,
                "cpu_s_per_gib": summary(r.cpu_per_gib for r in runs[c]),
            }
            for c in chunks
        },
        "smallest_within_90pct_of_best": near_best,
        "share_of_best_64kib": speeds[64 * 1024] / best,
        "share_of_best_1mib": speeds[1024 * 1024] / best,
    }


# -- the course's machinery ---------------------------------------------------------------------------------


def measure_machinery(cycles: int) -> dict:
    """serve(): call to accepting, and stop(), over `cycles` cycles; stop() again with an endless stream open."""
    import asyncio

    import httpx
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
    serve(app, name="bench").stop()  # imports and first-time setup are not what is measured
    starts, stops, stream_stops = [], [], []
    for _ in range(cycles):
        started = time.perf_counter()
        server = serve(app, name="bench")
        starts.append((time.perf_counter() - started) * 1000)
        assert server.client.get("/").text == "hi"
        started = time.perf_counter()
        server.stop()
        stops.append((time.perf_counter() - started) * 1000)
    for _ in range(max(10, cycles // 5)):
        server = serve(app, name="bench")
        with httpx.Client(base_url=server.url) as client, client.stream("GET", "/endless") as response:
            next(response.iter_bytes())
            started = time.perf_counter()
            server.stop()
            stream_stops.append((time.perf_counter() - started) * 1000)
    return {
        "cycles": cycles,
        "start_ms": summary(starts),
        "stop_ms": summary(stops),
        "stop_with_endless_stream_ms": summary(stream_stops),
    }


def measure_checks(repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-checks-") as tmp:
        out = Path(tmp) / "checks.json"
        env = dict(os.environ, COURSE_ANSWERS="solutions", COURSE_PROGRESS=str(Path(tmp) / "progress.json"),
                   PYTHONPATH=str(ROOT), MPLBACKEND="agg")  # fmt: skip
        subprocess.run([sys.executable, "-m", "bench.check_times", str(out), "--repeats", str(repeats)],
                       cwd=ROOT, env=env, check=True, timeout=1800, stdout=subprocess.DEVNULL)  # fmt: skip
        raw = json.loads(out.read_text())
    return {
        exercise_id: {**entry, "median_s": statistics.median(entry["seconds"]), "first_s": entry["seconds"][0],
                      "timed_on_purpose": TIMED_ON_PURPOSE.get(exercise_id)}  # fmt: skip
        for exercise_id, entry in raw.items()
    }


def measure_nbval() -> dict:
    """Each notebook under `pytest --nbval-lax` with the solutions, from a fresh data folder (as on CI)."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-nbval-") as tmp:
        env = dict(os.environ, COURSE_ANSWERS="solutions", COURSE_DATA=str(Path(tmp) / "data"),
                   COURSE_PROGRESS=str(Path(tmp) / "progress.json"), PYTHONPATH=str(ROOT),
                   MPLBACKEND="agg")  # fmt: skip
        for notebook in notebooks:
            say(f"  nbval: {notebook.name}")
            report = Path(tmp) / f"{notebook.stem}.xml"
            started = time.perf_counter()
            process = subprocess.run(
                [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                 "-q", "--rootdir", str(ROOT), "-c", os.devnull, f"--junitxml={report}", str(notebook)],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            cells, failures = 0, {}
            if report.exists():
                for case in ET.parse(report).getroot().iter("testcase"):
                    cells += 1
                    problem = case.find("failure") if case.find("failure") is not None else case.find("error")
                    if problem is not None:
                        text = ((problem.get("message") or "") + "\n" + (problem.text or "")).strip()
                        failures[case.get("name")] = text[-1500:]
            results[notebook.name] = {"seconds": seconds, "cells": cells, "failed": len(failures),
                                      "failures": failures, "exit_status": process.returncode}  # fmt: skip
    return results


def measure_grading() -> dict:
    """`grade-one` on a solved and an untouched (stub) submission of the whole course, sandbox on: wall time, and
    CPU seconds of every process of the submission (from its cgroup, else its process tree), as the results say."""
    from course_lib._answers import SOLUTIONS, stub_module
    from course_lib.registry import exercises

    stems = sorted({ex.module for ex in exercises().values()})
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        for kind, text_of in (("solved", lambda stem: (SOLUTIONS / f"{stem}.py").read_text()), ("stubs", stub_module)):
            folder = Path(tmp) / kind / "exercises"
            folder.mkdir(parents=True)
            for stem in stems:
                (folder / f"{stem}.py").write_text(text_of(stem))
            say(f"  grade-one: the {kind} submission")
            out = Path(tmp) / f"{kind}.json"
            started = time.perf_counter()
            process = subprocess.run([sys.executable, "-m", "course_lib", "grade-one", str(folder.parent), "--out",
                                      str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1800)  # fmt: skip
            wall = time.perf_counter() - started
            if process.returncode or not out.exists():
                results[kind] = {"error": (process.stderr or process.stdout).strip()[-300:]}
                continue
            data = json.loads(out.read_text())
            results[kind] = {"wall_s": wall, "graded_s": data["seconds"], "cpu_s": data["cpu_seconds"],
                             "points": sum(e["points"] for e in data["exercises"]),
                             "max_points": sum(e["max_points"] for e in data["exercises"]), "reason": data["reason"]}  # fmt: skip
    return results


# -- targets --------------------------------------------------------------------------------------------------


@dataclass
class Target:
    what: str
    measured: str
    met: bool | None  # None: could not be measured in this run
    note: str = ""


def judged(what: str, figure: dict | None, limit: float, at_least: bool, fmt: str, unit: str, note: str = "") -> Target:
    """A target met when the median of `figure` is >= `limit` (at_least) or <= it; None when nothing was measured."""
    if figure is None:
        return Target(what, "-", None, note or "not measured")
    met = figure["median"] >= limit if at_least else figure["median"] <= limit
    return Target(what, spread(figure, fmt, unit), met, note)


def throughput_targets(sr: StackResult, size: int) -> list[Target]:
    label, runs, out = sr.stack.label, sr.runs, []
    if not runs:
        return out
    ref, stock, nginx = runs["reference"], runs["fileresponse"], runs.get("nginx")
    for clients in CLIENT_COUNTS:
        limit = TARGET["ref_vs_fileresponse"]
        out.append(judged(f"reference >= {limit:g}x FileResponse, {plural(clients)}, {label}",
                          ratios(ref[clients], stock[clients]), limit, True, ".1f", "x"))  # fmt: skip
    for clients, key in ((1, "ref_vs_nginx_1"), (4, "ref_vs_nginx_4")):
        figure, note = (ratios(ref[clients], nginx[clients]), "") if nginx else (None, "nginx is not installed")
        out.append(judged(f"reference >= {TARGET[key]:g}x nginx sendfile, {plural(clients)}, {label}",
                          figure, TARGET[key], True, ".2f", "x", note))  # fmt: skip
    for clients in CLIENT_COUNTS:
        limit = TARGET["ref_cpu_per_gib"]
        out.append(judged(f"reference server CPU <= {limit:g} s per GiB, {plural(clients)}, {label}",
                          summary(run.cpu_per_gib for run in ref[clients]), limit, False, ".2f", " s"))  # fmt: skip
    for clients in CLIENT_COUNTS:
        limit, growth = TARGET["ref_growth_mib"], summary(run.growth_per_download_mib for run in ref[clients])
        out.append(judged(f"reference RSS growth <= {limit:g} MiB per download, {plural(clients)}, {label}",
                          growth, limit, False, ".1f", " MiB"))  # fmt: skip
    for clients in CLIENT_COUNTS:  # each holds the whole body; concurrent ones overlap in time only partly
        naive = [run for run in runs["naive"][clients] if not run.capped]
        out.append(judged(f"Response(f.read()) RSS growth >= 0.9 x the file ({size // MiB} MiB) per download, "
                          f"{plural(clients)}, {label}", summary(run.growth_per_download_mib for run in naive),
                          0.9 * size / MiB, True, ".0f", " MiB", "" if naive else "not run: memory cap"))  # fmt: skip
    return out


def range_targets(sr: StackResult) -> list[Target]:
    if not sr.tail_runs:
        return []
    limit = TARGET["range_vs_fileresponse"]
    shipped = ratios(sr.tail_runs["range"], sr.tail_runs["fileresponse"])
    out = [judged(f"reference send_blob >= {limit:g}x FileResponse, bytes=-{sr.tail // MiB} MiB, {sr.stack.label}",
                  shipped, limit, True, ".2f", "x")]  # fmt: skip
    nginx_limit, nginx = TARGET["range_vs_nginx"], sr.tail_runs.get("nginx")
    out.append(judged(f"reference send_blob >= {nginx_limit:g}x nginx sendfile, bytes=-{sr.tail // MiB} MiB, "
                      f"{sr.stack.label}", ratios(sr.tail_runs["range"], nginx) if nginx else None, nginx_limit, True,
                      ".2f", "x", "" if nginx else "nginx is not installed"))  # fmt: skip
    for key, chunk in (("range_256kib", "256 KiB"), ("range_1mib", "1 MiB")):
        larger = ratios(sr.tail_runs[key], sr.tail_runs["fileresponse"])
        out.append(Target(f"  the same, its read_range() reading {chunk} at a time", spread(larger, ".2f", "x"), None,
                          f"not a target: what CHUNK_SIZE = {chunk} in ch03 would give"))  # fmt: skip
    return out


# -- the report ------------------------------------------------------------------------------------------------


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    rows = [row + [""] * (len(header) - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = lambda row: "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()  # noqa: E731
    return [line(header), "  " + "-" * (sum(widths) + 2 * len(widths) - 2), *map(line, rows)]


def throughput_lines(sr: StackResult) -> list[str]:
    rows = []
    stock, nginx = sr.runs["fileresponse"], sr.runs.get("nginx")
    for clients in CLIENT_COUNTS:
        for v in (*VARIANTS, NGINX, NGINX_ACCEL):
            if v.key not in sr.runs:
                continue
            runs = [r for r in sr.runs[v.key][clients] if not r.capped]
            if not runs:
                rows.append([v.label, str(clients), "not run"])
                continue
            rows.append([
                v.label, str(clients),
                spread(summary(r.gb_per_s for r in runs)),
                spread(ratios(runs, stock[clients]), ".1f", "x") if v.key != "fileresponse" else "1",
                spread(ratios(runs, nginx[clients]), ".2f", "x") if nginx and v.key != "nginx" else "",
                spread(summary(r.cpu_per_gib for r in runs), ".2f"),
                kernel_share(runs),
                spread(summary(r.growth_per_download_mib for r in runs), ".0f"),
                f"{statistics.median(r.rss_peak for r in runs) / MiB:.0f}",
                v.seen if clients == 1 else "",
            ])  # fmt: skip
    header = ["variant", "clients", "GB/s (min-max)", "x FileResponse", "x nginx", "CPU-s/GiB", "kernel",
              "RSS +MiB/dl", "peak RSS MiB", "seen before, 1 client"]  # fmt: skip
    return table(rows, header)


def kernel_share(runs: list[Run]) -> str:
    """The kernel's part of the server's CPU time over these runs (the clock ticks in 10 ms steps: sum, not median)."""
    total = sum(r.cpu_seconds for r in runs)
    return f"{sum(r.cpu_system_seconds for r in runs) / total:.0%}" if total else "-"


def range_lines(sr: StackResult, count: int) -> list[str]:
    rows = []
    labels = {key: label for key, (_, label) in RANGE_VARIANTS.items()} | {"nginx": "nginx, sendfile"}
    nginx = sr.tail_runs.get("nginx")
    for key in sr.tail_runs:
        label, tail = labels[key], sr.tail_runs[key]
        rows.append([
            label,
            spread(summary(r.gb_per_s for r in tail)),
            spread(ratios(tail, nginx), ".2f", "x") if nginx and key != "nginx" else "",
            spread(ratios(tail, sr.tail_runs["fileresponse"]), ".2f", "x") if key != "fileresponse" else "1",
            spread(summary(sr.small_ranges[key]), ".0f"),
            spread(summary(a / b for a, b in zip(sr.small_ranges[key], sr.small_ranges["fileresponse"])), ".2f", "x")
            if key != "fileresponse" else "1",
        ])  # fmt: skip
    header = ["variant", f"bytes=-{sr.tail // MiB} MiB GB/s", "x nginx", "x FileResponse",
              f"{count} random 4 KiB ranges req/s", "x FileResponse"]  # fmt: skip
    return table(rows, header)


def versions(nginx_bin: str | None) -> str:
    import fastapi
    import httptools
    import starlette
    import uvicorn
    import uvloop

    parts = [f"Python {platform.python_version()}", f"fastapi {fastapi.__version__}",
             f"starlette {starlette.__version__}", f"uvicorn {uvicorn.__version__}",
             f"httptools {httptools.__version__}", f"uvloop {uvloop.__version__}",
             f"nginx {nginx_version(nginx_bin)}" if nginx_bin else "nginx: not installed"]  # fmt: skip
    curl = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()
    return ", ".join(parts + [f"curl {curl[1]}" if len(curl) > 1 else "curl"])


def report_stacks(args, results: dict) -> tuple[list[str], list[Target]]:
    from course_lib.data import sample_file

    sections, nginx_bin = args.sections, args.nginx_bin
    lines: list[str] = []
    targets: list[Target] = []
    size = args.size_mib * MiB
    big = sample_file(f"bench-{args.size_mib}MiB.bin", size)
    with open(big, "rb") as f:  # into the page cache: the disk is not what is measured
        while f.read(16 * MiB):
            pass
    naive_cap = args.naive_cap_mib * MiB if args.naive_cap_mib else psutil.virtual_memory().available // 2
    results["naive_memory_cap_mib"] = naive_cap // MiB
    if "throughput" in sections and not nginx_bin:
        lines += ["", "nginx is not installed: the nginx + sendfile rows and targets are not measured in this run"]
    for stack in [STACKS[key] for key in args.stacks.split(",")]:
        say(f"{stack.label}: starting servers")
        sr = measure_stack(stack, big, args, nginx_bin, naive_cap, sections)
        results[f"stack_{stack.key}"] = {
            "throughput": {v: {str(c): [run_json(r) for r in runs] for c, runs in per.items()}
                           for v, per in sr.runs.items()},
            "range_tail_mib": sr.tail // MiB,
            "range_tail_gb_per_s": {k: [r.gb_per_s for r in runs] for k, runs in sr.tail_runs.items()},
            "range_small_requests_per_s": sr.small_ranges,
            "notes": sr.notes,
        }  # fmt: skip
        if sr.runs:
            lines += ["", f"Throughput, {stack.label}, one {args.size_mib} MiB download per client (RSS +MiB/dl: "
                          f"the server's RSS high-water mark minus its RSS before, per download)"]  # fmt: skip
            lines += throughput_lines(sr) + [f"  note: {note}" for note in sr.notes]
        if sr.tail_runs:
            lines += ["", f"Range requests, {stack.label} (one client; the small ranges on one kept-alive "
                          f"connection, every answer checked byte for byte)"]  # fmt: skip
            lines += range_lines(sr, args.ranges)
        targets += throughput_targets(sr, size) + range_targets(sr)
    if "throughput" in sections:
        lines.append(f"  Response(f.read()) is stopped if its server's RSS passes {naive_cap / GiB:.1f} GiB "
                     f"(half the memory available at the start; --naive-cap-mib changes it)")  # fmt: skip
    return lines, targets


def report_curve(args, results: dict) -> tuple[list[str], list[Target]]:
    from course_lib.data import sample_file

    mib = min(32, args.size_mib)  # notebook 01 serves a 32 MiB file
    say("chunk-size curve")
    curve = results["chunk_size_curve"] = measure_curve(sample_file(f"bench-{mib}MiB.bin", mib * MiB), args.repeats)
    rows = [[f"{int(c) // 1024} KiB", spread(p["gb_per_s"], ".3f"), f"{p['us_per_chunk']:.0f}",
             spread(p["cpu_s_per_gib"], ".2f")] for c, p in curve["points"].items()]  # fmt: skip
    lines = ["", f"Chunk-size curve of the reference streamer ({mib} MiB file, 1 client, "
                 f"h11 + asyncio as in notebook 01)"]  # fmt: skip
    lines += table(rows, ["chunk", "GB/s (min-max)", "us/chunk", "CPU-s/GiB"])
    lines.append(f"  90 % of the best speed from {curve['smallest_within_90pct_of_best'] // 1024} KiB chunks on; "
                 f"64 KiB reaches {curve['share_of_best_64kib']:.0%} of the best, "
                 f"1 MiB (the course's default) {curve['share_of_best_1mib']:.0%}")  # fmt: skip
    return lines, []


def report_machinery(args, results: dict) -> tuple[list[str], list[Target]]:
    say("serve() start and stop")
    m = results["machinery"] = measure_machinery(args.cycles)
    start, stop, stream = m["start_ms"], m["stop_ms"], m["stop_with_endless_stream_ms"]
    lines = ["", f"serve(), {m['cycles']} cycles: call to accepting {spread(start, '.1f', ' ms')}, "
                 f"stop {spread(stop, '.1f', ' ms')}; "
                 f"stop with an endless stream open {spread(stream, '.1f', ' ms')}"]  # fmt: skip
    ready, stopped = TARGET["serve_start_ms"], TARGET["serve_stop_ms"]
    return lines, [
        judged(f"serve() ready <= {ready:g} ms median", start, ready, False, ".1f", " ms"),
        judged(f"serve() stop <= {stopped:g} ms median", stop, stopped, False, ".1f", " ms"),
        judged(f"serve() stop with an endless stream open <= {stopped:g} ms median", stream, stopped, False,
               ".1f", " ms"),
    ]  # fmt: skip


def report_checks(args, results: dict) -> tuple[list[str], list[Target]]:
    say("check() for every exercise")
    checks = results["checks"] = measure_checks(args.repeats)
    rows = [[i, e["function"], f"{e['median_s']:.2f}", f"{e['first_s']:.2f}",
             "FAILED: " + e["failed"] if e["failed"] else (e["timed_on_purpose"] or "")]
            for i, e in checks.items()]  # fmt: skip
    lines = ["", f"check() with the solutions, in one process, {args.repeats} pass(es) over every exercise"]
    lines += table(rows, ["id", "function", "median s", "first s", "note"])
    limit = TARGET["check_s"]
    timed = {i: e for i, e in checks.items() if not e["timed_on_purpose"]}
    slow = [f"{i} {e['median_s']:.2f} s" for i, e in timed.items() if e["median_s"] > limit]
    failed = [i for i, e in checks.items() if e["failed"]]
    worst = max(e["median_s"] for e in timed.values())
    on_purpose = ", ".join(i for i in checks if i in TIMED_ON_PURPOSE)
    target = Target(f"check() <= {limit:g} s median, each of {len(timed)} exercises (not {on_purpose}: they wait "
                    f"on purpose)", f"slowest {worst:.2f} s" + (f"; over: {', '.join(slow)}" if slow else ""),
                    worst <= limit and not failed,
                    f"solutions failing: {', '.join(failed)}" if failed else "")  # fmt: skip
    return lines, [target]


def report_nbval(args, results: dict) -> tuple[list[str], list[Target]]:
    say("the notebooks under nbval")
    nb = results["nbval"] = measure_nbval()
    total = sum(e["seconds"] for e in nb.values())
    rows = [[name, f"{e['seconds']:.1f}", str(e["cells"]), str(e["failed"])] for name, e in nb.items()]
    rows.append(["all", f"{total:.1f}", str(sum(e["cells"] for e in nb.values())),
                 str(sum(e["failed"] for e in nb.values()))])  # fmt: skip
    lines = ["", "The course under pytest --nbval-lax with the solutions, one notebook per run, fresh data folder"]
    lines += table(rows, ["notebook", "seconds", "cells", "failed"])
    for name, e in nb.items():
        for cell, text in e["failures"].items():
            last = [line for line in text.splitlines() if line.strip()][-1:] or ["(no message)"]
            lines.append(f"  {name} {cell} failed: {last[0].strip()[:150]}")
    failing = [name for name, e in nb.items() if e["failed"] or e["exit_status"]]
    limit = TARGET["nbval_s"]
    target = Target(f"whole course under nbval <= {limit:g} s ({len(nb)} notebooks)", f"{total:.1f} s",
                    total <= limit and not failing, f"failed: {', '.join(failing)}" if failing else "")  # fmt: skip
    return lines, [target]


def report_grading(args, results: dict) -> tuple[list[str], list[Target]]:
    say("grading one submission of the whole course (sandbox on)")
    graded = results["grading"] = measure_grading()
    rows, worst, problems = [], None, []
    for kind, e in graded.items():
        if "error" in e:
            rows.append([kind, "-", "-", "-", "could not grade: " + e["error"]])
            problems.append(kind)
            continue
        cpu = "-" if e["cpu_s"] is None else f"{e['cpu_s']:.1f}"
        rows.append([kind, f"{e['wall_s']:.1f}", cpu, f"{e['points']:g}/{e['max_points']:g}", e["reason"]])
        if e["cpu_s"] is not None:
            worst = max(worst or 0.0, e["cpu_s"])
    lines = ["", "python -m course_lib grade-one, one submission of the whole course, sandbox on, one at a time"]
    lines += table(rows, ["submission", "wall s", "CPU s (all its processes)", "points", "note"])
    limit = TARGET["grade_cpu_s"]
    if worst is not None and os.cpu_count():
        lines.append(f"  so a class of 300 takes about {300 * worst / os.cpu_count() / 3600:.1f} h of this machine's "
                     f"{os.cpu_count()} cores, if CPU is all that limits it")  # fmt: skip
    target = Target(f"grading <= {limit:g} CPU-s per submission (solved and stubs)",
                    "-" if worst is None else f"worst {worst:.1f} s", None if worst is None else worst <= limit,
                    f"not graded: {', '.join(problems)}" if problems else "")  # fmt: skip
    return lines, [target]


def run_report(args) -> int:
    skipped = set(filter(None, args.skip.split(",")))
    if skipped - set(SECTIONS):
        say(f"unknown section(s) {', '.join(sorted(skipped - set(SECTIONS)))}; the sections are {', '.join(SECTIONS)}")
        return 2
    if shutil.which("curl") is None:
        say("make bench needs curl (a client that is not the bottleneck); install it and run again")
        return 2
    args.sections = sections = set(SECTIONS) - skipped
    args.nginx_bin = nginx_bin = nginx_binary()
    os.environ.setdefault("COURSE_ANSWERS", "solutions")
    began, load_before = time.perf_counter(), os.getloadavg()[0]
    results: dict = {"file_mib": args.size_mib, "repeats": args.repeats, "versions": versions(nginx_bin),
                     "cpus": os.cpu_count(), "load_average_at_start": load_before, "targets_set": TARGET}  # fmt: skip
    lines = [f"make bench: a {args.size_mib} MiB file on loopback, real server processes, curl clients; median of "
             f"{args.repeats} run(s) (min-max); every x is a ratio within the same run, run by run",
             results["versions"], f"{os.cpu_count()} CPUs, load average {load_before:.2f} at the start"]  # fmt: skip
    targets: list[Target] = []
    parts = [(report_stacks, {"throughput", "ranges"}), (report_curve, {"curve"}),
             (report_machinery, {"machinery"}), (report_checks, {"checks"}), (report_nbval, {"nbval"}),
             (report_grading, {"grading"})]  # fmt: skip
    for report, needs in parts:
        if needs & sections:
            more_lines, more_targets = report(args, results)
            lines += more_lines
            targets += more_targets

    mark = {True: "met", False: "MISSED", None: "-"}
    lines += ["", "Targets (judged on this run's medians)"]
    lines += table([[mark[t.met], t.what, t.measured, t.note] for t in targets], ["", "target", "measured", "note"])
    load_after, minutes = os.getloadavg()[0], (time.perf_counter() - began) / 60
    lines.append(f"{sum(t.met is True for t in targets)} met, {sum(t.met is False for t in targets)} missed; "
                 f"load average {load_before:.2f} at the start, {load_after:.2f} at the end; {minutes:.1f} min")
    results |= {"targets": [asdict(t) for t in targets], "load_average_at_end": load_after, "minutes": minutes}
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))
    print(f"(the same figures as JSON in {out.relative_to(ROOT)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--size-mib", type=int, default=int(env("BENCH_SIZE_MIB", "1024")),
                        help="size of the served file in MiB (BENCH_SIZE_MIB, default 1024)")
    parser.add_argument("--repeats", type=int, default=int(env("BENCH_REPEATS", "3")),
                        help="runs per figure; figures are their median (BENCH_REPEATS, default 3)")
    parser.add_argument("--skip", default=env("BENCH_SKIP", ""),
                        help=f"comma-separated sections to leave out: {', '.join(SECTIONS)} (BENCH_SKIP)")
    parser.add_argument("--stacks", default="h11,httptools",
                        help="uvicorn protocol stacks: h11 (h11 + asyncio), httptools (httptools + uvloop)")
    parser.add_argument("--ranges", type=int, default=500, help="random 4 KiB ranges per run (default 500)")
    parser.add_argument("--cycles", type=int, default=50, help="serve() start/stop cycles (default 50)")
    parser.add_argument("--naive-cap-mib", type=int, default=0,
                        help="stop Response(f.read()) when its server's RSS passes this (default: half the "
                             "memory available at the start)")  # fmt: skip
    args = parser.parse_args(argv)
    if not all(key in STACKS for key in args.stacks.split(",")):
        parser.error(f"--stacks takes {', '.join(STACKS)}")
    return run_report(args)


if __name__ == "__main__":
    sys.exit(main())
