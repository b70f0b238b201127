"""Reads in a thread with readinto() into one buffer and yields views of it: each next chunk overwrites the one
before, so a consumer that keeps chunks gets the later bytes twice."""

import asyncio

EXERCISE = "1.5"
CASE = "gives_the_files_chunks"
MESSAGE = ["aiter_file yielded a chunk that changed after it was yielded"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while filled := await asyncio.to_thread(f.readinto, buffer):
            yield view[:filled]
    finally:
        await asyncio.to_thread(f.close)
