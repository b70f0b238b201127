"""Does not stop when read() returns b'' before the range is complete."""

EXERCISE = "1.2"
CASE = "handles_the_files_end_and_refuses_bad_arguments"
MESSAGE = ["yielded an empty chunk b''"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    if start < 0 or end < start or chunk_size <= 0:
        raise ValueError("bad range")
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = f.read(min(chunk_size, remaining))
            remaining -= len(chunk)
            yield chunk
