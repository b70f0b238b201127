"""Reads the whole file, then slices it: the right chunks, but the whole file in memory at once."""

EXERCISE = "1.1"
CASE = "keeps_memory_flat"
MESSAGE = ["of memory at its peak", "the whole file was in memory at once"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, "rb") as f:
        data = f.read()
    for start in range(0, len(data), chunk_size):
        yield data[start : start + chunk_size]
