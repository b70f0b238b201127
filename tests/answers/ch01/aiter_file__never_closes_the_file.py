"""Opens the file in a thread and never closes it."""

import asyncio

EXERCISE = "1.5"
CASE = "closes_the_file_at_the_end_and_on_aclose"
MESSAGE = ["ResourceWarning: unclosed file"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    f = await asyncio.to_thread(open, path, "rb")
    while chunk := await asyncio.to_thread(f.read, chunk_size):
        yield chunk
