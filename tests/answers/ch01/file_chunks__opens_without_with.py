"""Opens the file without `with`: only the garbage collector closes it."""

EXERCISE = "1.1"
CASE = "keeps_the_file_open_only_while_reading"
MESSAGE = ["ResourceWarning: unclosed file"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    f = open(path, "rb")
    while chunk := f.read(chunk_size):
        yield chunk
