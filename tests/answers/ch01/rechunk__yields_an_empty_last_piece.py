"""Yields what is left even when nothing is."""

EXERCISE = "1.4"
CASE = "splits_long_inputs_skips_empty_ones_and_refuses_bad_sizes"
MESSAGE = ["yielded an empty piece b''"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    yield bytes(buffer)
