"""Makes end exclusive, then adds one again: one byte too many."""

EXERCISE = "1.2"
CASE = "gives_the_ranges_a_range_header_names"
MESSAGE = ["bytes=0-99 gave 101 bytes, one too many", "end - start + 1"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    stop = end + 1  # the first byte not wanted
    with open(path, "rb") as f:
        f.seek(start)
        remaining = stop - start + 1
        while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
            remaining -= len(chunk)
            yield chunk
