"""Reads the whole file in a worker thread, then slices it."""

import asyncio
from pathlib import Path

EXERCISE = "1.5"
CASE = "keeps_memory_flat"
MESSAGE = ["reading an 8 MiB file in 64 KiB chunks took"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    data = await asyncio.to_thread(Path(path).read_bytes)
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]
