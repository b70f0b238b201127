"""Yields the bytearray itself, then clears it for the next piece."""

EXERCISE = "1.4"
CASE = "gives_the_docstrings_example"
MESSAGE = ["piece 1 changed after it was yielded"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = bytearray()
    for chunk in chunks:
        for byte in chunk:
            buffer.append(byte)
            if len(buffer) == size:
                yield buffer
                buffer.clear()
    if buffer:
        yield buffer
