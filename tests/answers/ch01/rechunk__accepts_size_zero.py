"""No check of size: size=0 is accepted."""

EXERCISE = "1.4"
CASE = "splits_long_inputs_skips_empty_ones_and_refuses_bad_sizes"
MESSAGE = ["size=0 was accepted"]


def rechunk(chunks, size=64 * 1024):
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
