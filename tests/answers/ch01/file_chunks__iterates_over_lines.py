"""Loops over the file object, which gives lines (here, many short ones), not chunk_size pieces."""

EXERCISE = "1.1"
CASE = "gives_the_lessons_chunks"
MESSAGE = ["file_chunks kept yielding after 6 chunks, more than the file holds"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, "rb") as f:
        for chunk in f:
            yield chunk
