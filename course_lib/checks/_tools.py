"""Small measuring tools the checks share: sizes in words, sample files, open files, peak memory."""

from __future__ import annotations

import contextlib
import os
import random
import tempfile
import tracemalloc
from pathlib import Path
from typing import Iterator

import psutil

KiB = 1024
MiB = 1024 * KiB


def size(n: int) -> str:
    """1048576 -> '1 MiB', 1536 -> '1.5 KiB', 17 -> '17 B' (deterministic, for messages)."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", KiB)):
        if n >= factor:
            value = n / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} B"


def sizes(chunks: list[int], most: int = 6) -> str:
    """A list of chunk sizes in words, shortened in the middle when long."""
    words = [size(n) for n in chunks]
    if len(words) > most:
        words = words[: most - 2] + [f"… {len(words) - most + 1} more …"] + words[-1:]
    return f"{len(chunks)} chunk{'s' if len(chunks) != 1 else ''}" + (f": {', '.join(words)}" if words else "")


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="course-check-") as folder:
        yield Path(folder)


def sample_bytes(n: int, seed: int = 1) -> bytes:
    """`n` bytes that do not repeat in any short period (so a chunk read twice or skipped shows)."""
    return random.Random(seed).randbytes(n)


def write_sample(path: Path, n: int, seed: int = 1) -> bytes:
    data = sample_bytes(n, seed)
    path.write_bytes(data)
    return data


def is_open(path: Path) -> bool:
    """Whether this process holds `path` open right now (read from the OS, not from Python)."""
    target = os.path.realpath(path)
    return any(os.path.realpath(f.path) == target for f in psutil.Process().open_files())


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Measure the peak of Python allocations inside the block: `with peak_memory() as peak: ...; peak[0]`."""
    result = [0]
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield result
    finally:
        result[0] = max(0, tracemalloc.get_traced_memory()[1] - base)
        if not was_tracing:
            tracemalloc.stop()
