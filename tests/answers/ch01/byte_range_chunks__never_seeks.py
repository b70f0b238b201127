"""Forgets f.seek(start): the range comes from the start of the file."""

EXERCISE = "1.2"
CASE = "gives_the_ranges_a_range_header_names"
MESSAGE = ["bytes from offset 0 on", "seek(start) before the first read"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        remaining = end - start + 1
        while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
            remaining -= len(chunk)
            yield chunk
