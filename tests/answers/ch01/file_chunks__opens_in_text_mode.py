"""Opens the file in text mode, so the chunks are str."""

EXERCISE = "1.1"
CASE = "gives_the_lessons_chunks"
MESSAGE = ['open the file in binary mode: open(path, "rb")']


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, encoding="latin-1") as f:
        while chunk := f.read(chunk_size):
            yield chunk
