"""No check of the arguments: start=-1 reaches seek() and fails there."""

EXERCISE = "1.2"
CASE = "handles_the_files_end_and_refuses_bad_arguments"
MESSAGE = ["start=-1 reached the file and failed there with OSError"]


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
            remaining -= len(chunk)
            yield chunk
