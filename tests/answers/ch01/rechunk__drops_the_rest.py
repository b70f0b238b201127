"""Forgets the last, shorter piece left in the buffer."""

EXERCISE = "1.4"
CASE = "gives_the_docstrings_example"
MESSAGE = ["the last, shorter piece is missing"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
