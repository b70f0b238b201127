"""Reads 64 KiB per step whatever chunk_size says."""

import asyncio

EXERCISE = "1.5"
CASE = "gives_the_files_chunks"
MESSAGE = ["in 50000 B chunks gave the wrong pieces"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, 64 * 1024):
            yield chunk
    finally:
        f.close()
