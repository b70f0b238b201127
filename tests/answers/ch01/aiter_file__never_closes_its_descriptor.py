"""Reads with os.open/os.read in threads and never calls os.close."""

import asyncio
import os

EXERCISE = "1.5"
CASE = "closes_the_file_at_the_end_and_on_aclose"
MESSAGE = ["the file was still open after the last chunk"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    fd = await asyncio.to_thread(os.open, path, os.O_RDONLY)
    while chunk := await asyncio.to_thread(os.read, fd, chunk_size):
        yield chunk
