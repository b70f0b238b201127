"""Yields the buffer's first `size` bytes but never takes them out of it."""

EXERCISE = "1.4"
CASE = "gives_the_docstrings_example"
MESSAGE = ["rechunk kept yielding after 4 pieces, more than the input makes"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
    if buffer:
        yield bytes(buffer)
