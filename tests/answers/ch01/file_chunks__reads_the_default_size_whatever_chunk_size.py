"""Reads 1 MiB per step whatever chunk_size says: right for the default, wrong for any other size."""

EXERCISE = "1.1"
CASE = "handles_odd_sizes_empty_files_and_bad_chunk_sizes"
MESSAGE = [
    "a 10000 B file in 4 KiB chunks gave the wrong pieces",
    "read exactly chunk_size bytes per step",
]


def file_chunks(path, chunk_size=1024 * 1024):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            yield chunk
