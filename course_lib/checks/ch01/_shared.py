"""What several chapter 1 checks share: a generator function that opens nothing when called (1.1, 1.2),
taking chunks from an answer with the guards that stop a runaway generator early (1.1, 1.2, 1.5),
refusing chunk_size <= 0 (1.1, 1.5), and watching the file open and close (1.1, 1.2)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .._case import Failure
from .._tools import is_open, sizes, unclosed_files


def expect_lazy(call: Callable[[], Any], what: str) -> None:
    """`call()` calls the answer on a file that does not exist: it must give a generator and open nothing yet."""
    try:
        pending = call()
    except FileNotFoundError:
        raise Failure(
            f"calling {what} opened the file at once, before anything asked for a chunk.",
            expected="nothing opened or read before the first next()",
            got="FileNotFoundError raised by the call itself",
            next="make it a generator function: `yield` each chunk, so its body waits for next()",
        ) from None
    if not hasattr(pending, "__next__"):
        raise Failure(
            f"{what} returned a {type(pending).__name__}, not a generator.",
            expected="a generator, which reads one chunk each time it is asked",
            got=f"a {type(pending).__name__}, built before the first chunk was asked for",
            next="`yield` each chunk instead of collecting them",
        )
    if hasattr(pending, "close"):
        pending.close()


def take_chunks(chunks: Iterable[Any], limit: int, what: str = "file_chunks") -> list[bytes]:
    """Collect at most `limit` chunks, failing early on the mistakes that would otherwise loop forever."""
    got: list[bytes] = []
    previous: list[Any] = []
    for chunk in chunks:
        expect_kept(previous, what)
        accept_chunk(got, chunk, limit, what)
        previous[:] = [chunk, got[-1]]
    expect_kept(previous, what)
    return got


async def take_chunks_async(chunks: Any, limit: int, what: str) -> list[bytes]:
    """take_chunks() for an async iterable: the same guards, used with `async for`."""
    got: list[bytes] = []
    previous: list[Any] = []
    async for chunk in chunks:
        expect_kept(previous, what)
        accept_chunk(got, chunk, limit, what)
        previous[:] = [chunk, got[-1]]
    expect_kept(previous, what)
    return got


def expect_kept(previous: list[Any], what: str) -> None:
    """`previous` is [the chunk as yielded, a copy taken then]: once the next chunk is asked for, a chunk must
    still hold its bytes.  A view of one buffer that every read refills (readinto + memoryview) does not, and a
    consumer that keeps chunks (a list, a join, a queue between threads) would get the later bytes twice."""
    if previous and isinstance(previous[0], (bytearray, memoryview)) and bytes(previous[0]) != previous[1]:
        raise Failure(
            f"{what} yielded a chunk that changed after it was yielded: a view of one buffer that the next "
            f"read overwrote.",
            expected="each chunk keeps its bytes once yielded",
            got=f"a {type(previous[0]).__name__} whose bytes changed when the next chunk was read",
            next="yield bytes: f.read(n), or bytes(buffer[:n]) after readinto()",
        )


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


def expect_bad_chunk_sizes_refused(take: Callable[[int], list[bytes]]) -> None:
    """`take(chunk_size)` reads a small file with the answer: chunk_size 0 and -1 must raise ValueError."""
    # chunk_size <= 0 is a mistake, not a request for the whole file or for nothing.
    for bad in (0, -1):
        try:
            got = take(bad)
        except ValueError:
            continue
        raise Failure(
            f"chunk_size={bad} was accepted.",
            expected="ValueError",
            got=sizes([len(c) for c in got]),
            next="raise ValueError when chunk_size <= 0: read(0) returns b'' and read(-1) reads everything",
        )


def expect_closed(make_chunks, path, limit: int, what: str) -> None:
    """The file at `path` is open only while chunks are taken: not before next(), not after the end or close().

    `make_chunks()` calls the answer.  Beside asking the OS, watch for ResourceWarning: a file opened without
    `with` is still closed when the finished generator is dropped, so only the warning tells.
    """
    with unclosed_files() as leaked:
        left_open = is_open(path)  # by an earlier read that never closed it: told below, after the last chunk
        chunks = make_chunks()
        if is_open(path) and not left_open:
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
