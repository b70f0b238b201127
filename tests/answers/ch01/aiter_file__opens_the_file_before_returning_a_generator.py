"""A plain def opens the file, then returns an inner async generator reading it."""

import asyncio

EXERCISE = "1.5"
CASE = "opens_nothing_when_called"
MESSAGE = ["calling aiter_file opened the file at once"]


def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    f = open(path, "rb")

    async def chunks():
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    return chunks()
