"""Opens the file again for every chunk, so it reads the first chunk forever."""

EXERCISE = "1.1"
CASE = "gives_the_lessons_chunks"
MESSAGE = ["file_chunks kept yielding after 6 chunks, more than the file holds"]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    while True:
        with open(path, "rb") as f:
            chunk = f.read(chunk_size)
        if not chunk:
            break
        yield chunk
