"""Adds each input before what the buffer holds, not after it."""

EXERCISE = "1.4"
CASE = "gives_the_docstrings_example"
MESSAGE = ["the pieces have the right sizes but not the input's bytes"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = b""
    for chunk in chunks:
        buffer = chunk + buffer
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer
