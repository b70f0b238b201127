"""Keeps the bytes in a list of ints and yields slices of it."""

EXERCISE = "1.4"
CASE = "gives_the_docstrings_example"
MESSAGE = ["rechunk yielded a list, not bytes (piece 1)"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = []
    for chunk in chunks:
        buffer.extend(chunk)
        while len(buffer) >= size:
            yield buffer[:size]
            del buffer[:size]
    if buffer:
        yield buffer
