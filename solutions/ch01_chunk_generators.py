"""Chapter 1 — chunk generators: reading and producing data piece by piece.

Each function below is an exercise of notebooks/01_chunk_generators.ipynb; check one with
check("1.1") in the notebook or `.venv/bin/python -m course_lib check 1.1` in a terminal.
"""

import asyncio
import csv
import io


def file_chunks(path, chunk_size=1024 * 1024):
    """Yield the file at `path` in pieces of `chunk_size` bytes; the last may be shorter.

    A 3 MiB + 17 byte file, 1 MiB chunks -> 4 chunks: 1 MiB, 1 MiB, 1 MiB, 17 bytes.
    An empty file yields nothing.  chunk_size <= 0 -> ValueError.
    Nothing is opened before the first next(); the file is closed when the loop ends,
    when the generator is closed early, and when an error interrupts it.
    """
    # TODO: yield the bytes of the file at `path`, chunk_size at a time.
    # A file holding b"0123456789", chunk_size=4 -> b"0123", b"4567", b"89"
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            yield chunk


def byte_range_chunks(path, start, end, chunk_size=64 * 1024):
    """Yield bytes `start` to `end` of the file at `path`, BOTH included, in pieces of at most `chunk_size`.

    The same numbers as an HTTP range: `Range: bytes=0-99` is the first 100 bytes, so
    byte_range_chunks(path, 0, 99) yields 100 bytes and (path, 100, 199) the next 100.
    A 10000 byte file, start=1000, end=9999, chunk_size=4096 -> 3 chunks: 4096, 4096, 808 bytes.
    Nothing before `start` is read, and nothing past `end`.
    An `end` past the end of the file stops at the end of the file; a `start` at or past it yields nothing.
    start < 0, end < start or chunk_size <= 0 -> ValueError.
    Nothing is opened before the first next(); the file is closed when the loop ends
    and when the generator is closed early.
    """
    # TODO: yield bytes start..end of the file (both included), at most chunk_size at a time.
    # A file holding b"0123456789", start=2, end=7, chunk_size=4 -> b"2345", b"67"
    if start < 0 or end < start:
        raise ValueError(f"need 0 <= start <= end, got start={start}, end={end}")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = f.read(min(chunk_size, remaining))
            if not chunk:  # the end of the file came first
                break
            remaining -= len(chunk)
            yield chunk


def csv_rows(conn, query="SELECT * FROM orders ORDER BY id"):
    """Yield the result of `query` on the sqlite3 connection `conn` as CSV, one UTF-8 encoded line per item.

    The first line is the header (the column names), then one line per row, in the query's order.
    Values are quoted the standard CSV way: a value holding a comma, a double quote or a newline is
    wrapped in double quotes ('Smith, John' -> b'"Smith, John"'), and NULL becomes an empty field.
    A table orders(id, customer) holding (1, 'Ada'), (2, 'Smith, John') ->
    b'id,customer\\r\\n', b'1,Ada\\r\\n', b'2,"Smith, John"\\r\\n'.
    Memory stays flat however many rows the query returns: no more than one row is held at a time.
    """
    # TODO: yield the header line, then one CSV line per row of the query, each encoded to UTF-8.
    # orders(id, customer) holding (1, 'Ada'), (2, NULL) -> b'id,customer\r\n', b'1,Ada\r\n', b'2,\r\n'
    cursor = conn.execute(query)
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def line(values):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(values)
            return buffer.getvalue().encode("utf-8")

        yield line([column[0] for column in cursor.description])
        for row in cursor:
            yield line(row)
    finally:
        cursor.close()


def rechunk(chunks, size=64 * 1024):
    """Yield the bytes of the iterable `chunks` again, in pieces of exactly `size` bytes; the last may be shorter.

    [b"ab", b"cde", b"f"] with size=4 -> b"abcd", b"ef".  An input longer than `size` is split:
    [b"abcdefghij"] with size=4 -> b"abcd", b"efgh", b"ij".
    The bytes and their order are kept; no piece is ever empty, so an empty input yields nothing.
    Lazy: it takes from `chunks` only what the next piece needs, so it works on an endless input.
    size <= 0 -> ValueError.
    """
    # TODO: yield the same bytes again in pieces of exactly `size` bytes; only the last may be shorter.
    # [b"ab", b"cde", b"f"] with size=4 -> b"abcd", b"ef"
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]  # cheap: bytearray drops bytes from its front without copying the rest
    if buffer:
        yield bytes(buffer)


async def aiter_file(path, chunk_size=64 * 1024):
    """An async generator: yield the file at `path` in pieces of `chunk_size` bytes without blocking the event loop.

    `async for chunk in aiter_file(path, 1024 * 1024)` gives the same chunks as file_chunks (1.1),
    but while the disk (or a slow pipe) makes an open() or a read() wait, other coroutines
    keep running.  An empty file yields nothing.
    chunk_size <= 0 -> ValueError.  The file is closed when the loop ends and on aclose().
    """
    # TODO: yield the same chunks as file_chunks (1.1), letting other coroutines run while the file is read.
    # A file holding b"0123456789", chunk_size=4 -> b"0123", b"4567", b"89"
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    f = await asyncio.to_thread(open, path, "rb")
    try:
        while chunk := await asyncio.to_thread(f.read, chunk_size):
            yield chunk
    finally:
        f.close()
