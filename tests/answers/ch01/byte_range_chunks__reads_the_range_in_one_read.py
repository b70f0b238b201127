"""Reads the whole range with one read(), whatever chunk_size is."""

EXERCISE = "1.2"
CASE = "gives_the_ranges_a_range_header_names"
MESSAGE = [
    "bytes=1000-9999 in chunks of at most 4 KiB gave a chunk of 8.8 KiB",
    "read min(chunk_size, bytes still wanted)",
]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        f.seek(start)
        chunk = f.read(end - start + 1)
    if chunk:
        yield chunk
