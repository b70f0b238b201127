"""Reads with readinto() into one buffer, as the notebook's fastest reader does, and yields views of it: each
next chunk overwrites the one before, so a consumer that keeps chunks gets the later bytes twice."""

EXERCISE = "1.1"
CASE = "gives_the_lessons_chunks"
MESSAGE = ["file_chunks yielded a chunk that changed after it was yielded", "bytes(buffer[:n]) after readinto()"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with open(path, "rb") as f:
        while filled := f.readinto(buffer):
            yield view[:filled]
