"""Reads the whole file and slices the range out of it."""

EXERCISE = "1.2"
CASE = "reads_only_the_range"
MESSAGE = ["it read 64 MiB of the file to return 1000 bytes"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        wanted = f.read()[start : end + 1]
    for i in range(0, len(wanted), chunk_size):
        yield wanted[i : i + chunk_size]
