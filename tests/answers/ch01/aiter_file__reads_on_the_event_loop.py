"""async def, but each read() blocks the event loop."""

EXERCISE = "1.5"
CASE = "keeps_the_event_loop_running"
MESSAGE = ["the event loop froze", "asyncio.to_thread"]


async def aiter_file(path, chunk_size=64 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            yield chunk
