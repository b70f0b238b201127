"""A plain def returns the inner async generator function without calling it."""

import asyncio

EXERCISE = "1.5"
CASE = "is_an_async_generator"
MESSAGE = ["aiter_file returned a function, not an async generator"]


def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")

    async def chunks():
        f = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    return chunks
