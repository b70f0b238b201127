"""Joins the whole input first: an endless input never gives a piece."""

EXERCISE = "1.4"
CASE = "stays_lazy_on_an_endless_input"
MESSAGE = ["took its whole input before yielding a piece", "endless"]


def rechunk(chunks, size=64 * 1024):
    if size <= 0:
        raise ValueError("size must be positive")
    data = b"".join(chunks)
    for start in range(0, len(data), size):
        yield data[start : start + size]
