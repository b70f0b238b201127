"""What the chapter 1 checks share: taking chunks from an answer with the guards that stop a runaway
generator early, comparing them with a file, and watching the file open and close."""

from __future__ import annotations

from typing import Any, Iterable


from .._case import Failure
from .._tools import (
    is_open,
    size,
    sizes,
    unclosed_files,
)

MODULE = "ch01_chunk_generators"


def take_chunks(chunks: Iterable[Any], limit: int, what: str = "file_chunks") -> list[bytes]:
    """Collect at most `limit` chunks, failing early on the mistakes that would otherwise loop forever."""
    got: list[bytes] = []
    for chunk in chunks:
        accept_chunk(got, chunk, limit, what)
    return got


async def take_chunks_async(chunks: Any, limit: int, what: str) -> list[bytes]:
    """take_chunks() for an async iterable: the same guards, used with `async for`."""
    got: list[bytes] = []
    async for chunk in chunks:
        accept_chunk(got, chunk, limit, what)
    return got


def accept_chunk(got: list[bytes], chunk: Any, limit: int, what: str) -> None:
    """Add one chunk read from a file to `got`, or fail: not bytes, empty, or one too many."""
    if not isinstance(chunk, (bytes, bytearray, memoryview)):
        raise Failure(
            f"{what} yielded a {type(chunk).__name__}, not bytes.",
            expected="bytes chunks (what a socket sends)",
            got=f"{type(chunk).__name__}: {chunk!r:.40}",
            next='open the file in binary mode: open(path, "rb")',
        )
    if len(chunk) == 0:
        raise Failure(
            f"{what} yielded an empty chunk b'' (chunk {len(got) + 1}).",
            expected="only non-empty chunks; the end of the file ends the generator",
            got="b'' -- read() returns b'' at the end of the file, and a loop that yields it never ends",
            next="stop the loop when read() returns b''",
        )
    got.append(bytes(chunk))
    if len(got) > limit:
        raise Failure(
            f"{what} kept yielding after {limit} chunks, more than the file holds.",
            expected=f"at most {limit} chunks",
            got=sizes([len(c) for c in got]),
            next="stop the loop when read() returns b''",
        )


def expect_chunks(file_chunks, path, data: bytes, chunk_size: int, what: str) -> list[int]:
    expected = [min(chunk_size, len(data) - start) for start in range(0, len(data), chunk_size)]
    got = take_chunks(file_chunks(path, chunk_size), limit=len(expected) + 2)
    got_sizes = [len(c) for c in got]
    if got_sizes != expected:
        raise Failure(
            f"{what} in {size(chunk_size)} chunks gave the wrong pieces.",
            expected=sizes(expected) + f" ({len(data)} bytes)",
            got=sizes(got_sizes) + f" ({sum(got_sizes)} bytes)",
            next="read exactly chunk_size bytes per step; only the last chunk may be shorter",
        )
    if b"".join(got) != data:
        first = next(i for i, (a, b) in enumerate(zip(b"".join(got), data)) if a != b)
        raise Failure(
            f"{what}: the chunks have the right sizes but not the file's bytes.",
            expected="the file's bytes, in order",
            got=f"a difference at byte {first}",
            next="yield each read() as it comes, without changing it",
        )
    return got_sizes


def expect_closed(make_chunks, path, limit: int, what: str) -> None:
    """The file at `path` is open only while chunks are taken: not before next(), not after the end or close().

    `make_chunks()` calls the answer.  Beside asking the OS, watch for ResourceWarning: a file opened without
    `with` is still closed when the finished generator is dropped, so only the warning tells.
    """
    with unclosed_files() as leaked:
        chunks = make_chunks()
        if is_open(path):
            raise Failure(
                "the file was open before the first next().",
                expected="no file opened until a chunk is asked for",
                got="the file open right after the call",
                next="open the file inside the generator function",
            )
        take_chunks(chunks, limit=limit, what=what)
        if is_open(path):
            raise Failure(
                "the file was still open after the last chunk.",
                expected="the file closed when the generator ends",
                got="the file still open",
                next='use `with open(path, "rb") as f:` inside the generator',
            )
        chunks = make_chunks()
        next(chunks)
        chunks.close()
        if is_open(path):
            raise Failure(
                "the file stayed open after the generator was closed early.",
                expected="close() (or a `break` out of a for loop) closes the file",
                got="the file still open after close()",
                next='use `with open(path, "rb") as f:` inside the generator, so close() runs its exit',
            )
        del chunks
    if any(str(path) in message for message in leaked):
        raise Failure(
            "the file was never closed by the generator; Python closed it when it threw the generator away.",
            expected="the file closed by the generator itself, at the end and on close()",
            got="ResourceWarning: unclosed file",
            next='use `with open(path, "rb") as f:` inside the generator, so the loop\'s end and close() close it',
        )


