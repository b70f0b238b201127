"""readinto() a bytearray and yield its slices: bytearrays, which StreamingResponse cannot send."""

EXERCISE = "1.1"
CASE = "arrives_intact_over_http"
MESSAGE = [
    "did not arrive intact",
    "the connection broke",
    "'bytearray' object has no attribute 'encode'",
]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    buffer = bytearray(chunk_size)
    with open(path, "rb") as f:
        while n := f.readinto(buffer):
            yield buffer[:n]
