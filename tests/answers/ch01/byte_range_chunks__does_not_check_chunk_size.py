"""Checks start and end but not chunk_size: 0 gives nothing."""

EXERCISE = "1.2"
CASE = "handles_the_files_end_and_refuses_bad_arguments"
MESSAGE = ["chunk_size=0 was accepted.", "read(0) returns b''"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
            remaining -= len(chunk)
            yield chunk
