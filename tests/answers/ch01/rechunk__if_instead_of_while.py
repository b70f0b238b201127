"""`if` where `while` is needed: an input longer than size is not split."""

EXERCISE = "1.4"
CASE = "splits_long_inputs_skips_empty_ones_and_refuses_bad_sizes"
MESSAGE = ['[b"abcdefghij"], size=4: a piece is longer than size=4']


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer
