"""Keeps reading after the range is complete, yielding nothing more."""

EXERCISE = "1.2"
CASE = "reads_only_the_range"
MESSAGE = ["the reads went on past end"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while chunk := f.read(chunk_size):  # keeps reading after the range is complete
            if remaining > 0:
                yield chunk[:remaining]
                remaining -= len(chunk[:remaining])
