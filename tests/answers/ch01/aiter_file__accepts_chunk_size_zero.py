"""No check of chunk_size: read(0) returns b'', so chunk_size=0 gives nothing."""

import asyncio

EXERCISE = "1.5"
CASE = "handles_an_empty_file_and_bad_chunk_sizes"
MESSAGE = ["chunk_size=0 was accepted"]


async def aiter_file(path, chunk_size=64 * 1024):
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, chunk_size):
            yield chunk
    finally:
        f.close()
