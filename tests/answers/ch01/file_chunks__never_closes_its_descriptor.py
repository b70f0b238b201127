"""Reads with os.open/os.read and never calls os.close."""

import os

EXERCISE = "1.1"
CASE = "keeps_the_file_open_only_while_reading"
MESSAGE = ["the file was still open after the last chunk"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    fd = os.open(path, os.O_RDONLY)
    while chunk := os.read(fd, chunk_size):
        yield chunk
