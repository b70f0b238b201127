"""Demo harnesses for notebooks/01_chunk_generators.ipynb: the timing loops and slow sources its cells call.

The notebook keeps what it teaches (the generators, the endpoints) in its cells; what only measures them
lives here, so that each cell shows one idea.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import NamedTuple

from ._server import LiveServer
from .checks._tools import SlowPipe
from .measure import KiB, size

__all__ = ["read_with_ticker", "timed_downloads"]


def timed_downloads(
    server: LiveServer, paths: dict[str, str], chunks_sent: dict[str, int]
) -> tuple[dict[str, bytes], dict[str, float]]:
    """GET each path (by name), print its chunk count, size and time per chunk; return the bodies and seconds."""
    bodies: dict[str, bytes] = {}
    seconds: dict[str, float] = {}
    for name, path in paths.items():
        started = time.perf_counter()
        bodies[name] = server.client.get(path).content
        seconds[name] = time.perf_counter() - started
        print(f"{name:>12}: {chunks_sent[name]:>6} chunks, {size(len(bodies[name]))} in {seconds[name]:.2f} s "
              f"({seconds[name] / chunks_sent[name] * 1e6:.0f} µs per chunk)")  # fmt: skip
    return bodies, seconds


async def _tick(ticks: list[float], every: float = 0.01) -> None:
    """Note the time every `every` seconds, for as long as the event loop lets it run."""
    while True:
        ticks.append(time.perf_counter())
        await asyncio.sleep(every)


class Ticked(NamedTuple):
    ticks: int  # how often the ticker got a turn while the pipe was read
    longest_pause: float  # seconds


async def read_with_ticker(
    reader: Callable[[int], AsyncIterator[bytes]], pieces: int = 5, every: float = 0.2
) -> Ticked:
    """Read a pipe fed 1 KiB every `every` s through `reader(fd)` while a ticker runs; print the longest pause."""
    with tempfile.TemporaryDirectory(prefix="course-demo-") as folder:
        with SlowPipe(Path(folder) / "slow.pipe", [b"x" * KiB] * pieces, every) as pipe:
            fd = os.open(pipe.path, os.O_RDONLY)  # returns once the feeding thread has opened its end
            ticks: list[float] = []
            ticking = asyncio.create_task(_tick(ticks))
            await asyncio.sleep(0)  # let the ticker start
            started = time.perf_counter()
            received = 0
            try:
                async for chunk in reader(fd):
                    received += len(chunk)
            finally:
                elapsed = time.perf_counter() - started
                ticking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticking
                os.close(fd)
    times = ticks + [started + elapsed]  # the pause still running at the end counts too
    longest = max(later - earlier for earlier, later in zip(times, times[1:]))
    print(f"{reader.__name__:>14}: {size(received)} in {elapsed:.2f} s; the ticker ticked {len(ticks)} "
          f"time{'s' * (len(ticks) != 1)}, longest pause {longest * 1000:.0f} ms")  # fmt: skip
    return Ticked(len(ticks), longest)
