"""Collects the chunks in a list and returns it: the file is read at the call."""

EXERCISE = "1.1"
CASE = "opens_nothing_when_called"
MESSAGE = ["opened the file at once"]


def file_chunks(path, chunk_size=1024 * 1024):
    chunks = []
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            chunks.append(chunk)
    return chunks
