"""Reads from byte 0 and throws away what comes before start."""

EXERCISE = "1.2"
CASE = "reads_only_the_range"
MESSAGE = ["it read 60.1 MiB of the file to return 1000 bytes", "seek(start) first"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        position = 0
        while position <= end and (chunk := f.read(chunk_size)):
            low, high = max(start - position, 0), min(end + 1 - position, len(chunk))
            if low < high:
                yield chunk[low:high]
            position += len(chunk)
