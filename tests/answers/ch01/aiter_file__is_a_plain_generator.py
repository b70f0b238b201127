"""A plain def with yield: a generator, not an async generator."""

EXERCISE = "1.5"
CASE = "is_an_async_generator"
MESSAGE = ["returned a plain generator, not an async generator"]


def aiter_file(path, chunk_size=64 * 1024):
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            yield chunk
