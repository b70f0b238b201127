"""An async def that collects the chunks and returns them."""

import asyncio

EXERCISE = "1.5"
CASE = "is_an_async_generator"
MESSAGE = ["a coroutine that returned a list"]


async def aiter_file(path, chunk_size=64 * 1024):
    chunks = []
    with open(path, "rb") as f:
        while chunk := await asyncio.to_thread(f.read, chunk_size):
            chunks.append(chunk)
    return chunks
