"""Treats end as a Python slice does, left out: one byte short."""

EXERCISE = "1.2"
CASE = "gives_the_ranges_a_range_header_names"
MESSAGE = ["bytes=0-99 gave 99 bytes, one short", "end - start + 1"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start  # as in a Python slice: the end left out
        while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
            remaining -= len(chunk)
            yield chunk
