"""Yields read()'s b'' at the end of the file before stopping."""

EXERCISE = "1.1"
CASE = "gives_the_lessons_chunks"
MESSAGE = ["yielded an empty chunk b''"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, "rb") as f:
        while True:
            chunk = f.read(chunk_size)
            yield chunk
            if not chunk:
                break
