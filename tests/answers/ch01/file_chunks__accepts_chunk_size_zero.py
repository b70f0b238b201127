"""No check of chunk_size: read(0) returns b'', so chunk_size=0 gives nothing."""

EXERCISE = "1.1"
CASE = "handles_odd_sizes_empty_files_and_bad_chunk_sizes"
MESSAGE = ["chunk_size=0 was accepted.", "ValueError"]


def file_chunks(path, chunk_size=1024 * 1024):
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            yield chunk
