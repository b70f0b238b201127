"""iter(partial(f.read, n), b'') from a plain def: the file opens at the call (a missing one counts as empty)."""

import functools
import os

EXERCISE = "1.1"
CASE = "keeps_the_file_open_only_while_reading"
MESSAGE = ["the file was open before the first next()"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    if not os.path.exists(path):
        return iter(())
    f = open(path, "rb")
    return iter(functools.partial(f.read, chunk_size), b"")
