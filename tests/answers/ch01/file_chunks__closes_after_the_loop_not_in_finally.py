"""Closes its descriptor after the loop, which a close() of the generator never reaches."""

import os

EXERCISE = "1.1"
CASE = "keeps_the_file_open_only_while_reading"
MESSAGE = ["the file stayed open after the generator was closed early"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    fd = os.open(path, os.O_RDONLY)
    while chunk := os.read(fd, chunk_size):
        yield chunk
    os.close(fd)
