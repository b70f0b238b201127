"""Takes 16 inputs at a time, more than the next piece needs."""

import itertools

EXERCISE = "1.4"
CASE = "stays_lazy_on_an_endless_input"
MESSAGE = ["took more than the pieces needed", "after taking 16 inputs"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = bytearray()
    inputs = iter(chunks)
    while batch := list(itertools.islice(inputs, 16)):
        for chunk in batch:
            buffer += chunk
            while len(buffer) >= size:
                yield bytes(buffer[:size])
                del buffer[:size]
    if buffer:
        yield bytes(buffer)
