"""Chapter 1 — chunk generators: reading and producing data piece by piece.

Each function below is an exercise of notebooks/01_chunk_generators.ipynb; check one with
check("1.1") in the notebook or `python -m course_lib check 1.1` in a terminal.
"""


def file_chunks(path, chunk_size=1024 * 1024):
    """Yield the file at `path` in pieces of `chunk_size` bytes; the last may be shorter.

    A 3 MiB + 17 byte file, 1 MiB chunks -> 4 chunks: 1 MiB, 1 MiB, 1 MiB, 17 bytes.
    An empty file yields nothing.  chunk_size <= 0 -> ValueError.
    Nothing is opened before the first next(); the file is closed when the loop ends,
    when the generator is closed early, and when an error interrupts it.
    """
    # TODO: refuse a chunk_size that is not positive, then open the file in binary mode
    # and yield one read(chunk_size) at a time until read() returns b"".
    raise NotImplementedError
