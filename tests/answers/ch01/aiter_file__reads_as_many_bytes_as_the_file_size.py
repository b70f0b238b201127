"""Reads os.path.getsize() bytes and stops: a pipe's size is 0, so nothing is read from it."""

import asyncio
import os

EXERCISE = "1.5"
CASE = "keeps_the_event_loop_running"
MESSAGE = ["read from a slow pipe, the bytes came out different", "0 bytes"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    remaining = await asyncio.to_thread(os.path.getsize, path)
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while remaining > 0 and (chunk := await asyncio.to_thread(f.read, min(chunk_size, remaining))):
            remaining -= len(chunk)
            yield chunk
    finally:
        f.close()
