"""Wraps a generator function and returns it without calling it."""

EXERCISE = "1.1"
CASE = "opens_nothing_when_called"
MESSAGE = ["file_chunks returned a function, not a generator", "`yield` each chunk"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")

    def chunks():
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    return chunks
