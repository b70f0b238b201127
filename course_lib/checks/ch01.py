"""Checks and hints for notebooks/01_chunk_generators.ipynb (exercises/ch01_chunk_generators.py)."""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

from .._checks import Failure, exercise
from ._tools import KiB, MiB, is_open, peak_memory, size, sizes, workdir, write_sample

MODULE = "ch01_chunk_generators"


def take_chunks(chunks: Iterable[Any], limit: int, what: str = "file_chunks") -> list[bytes]:
    """Collect at most `limit` chunks, failing early on the mistakes that would otherwise loop forever."""
    got: list[bytes] = []
    for chunk in chunks:
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
    return got


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


@exercise(
    "1.1",
    title="Read a file in chunks",
    module=MODULE,
    function="file_chunks",
    hints=[
        "A function with `yield` in its body is a generator function: calling it runs none of its code; "
        "each next() runs it up to the following `yield`. So open the file inside the function, and it "
        "is opened only when the first chunk is asked for.",
        "Open with `with open(path, \"rb\") as f:` and loop: `chunk = f.read(chunk_size)`; an empty "
        "chunk b'' means the end of the file, so stop there, otherwise `yield chunk`. Check chunk_size "
        "first: read(0) returns b'' (nothing would ever be yielded) and read(-1) reads the whole file.",
        "Nearly the answer:\n"
        "    if chunk_size <= 0:\n"
        '        raise ValueError("chunk_size must be positive")\n'
        '    with open(path, "rb") as f:\n'
        "        while chunk := f.read(chunk_size):\n"
        "            yield chunk\n"
        "Docs: https://docs.python.org/3/howto/functional.html#generators",
    ],
)
def check_file_chunks(file_chunks, ctx) -> str:
    with workdir() as folder:
        # Lazy: calling the function must not touch the file.
        try:
            pending = file_chunks(folder / "not-there.bin", KiB)
        except FileNotFoundError:
            raise Failure(
                "calling file_chunks opened the file at once, before anything asked for a chunk.",
                expected="nothing opened or read before the first next()",
                got="FileNotFoundError raised by the call itself",
                next="make it a generator function: `yield` each chunk, so its body waits for next()",
            ) from None
        if not hasattr(pending, "__next__"):
            raise Failure(
                f"file_chunks returned a {type(pending).__name__}, not a generator.",
                expected="a generator, which reads one chunk each time it is asked",
                got=f"a {type(pending).__name__}, built before the first chunk was asked for",
                next="`yield` each chunk instead of collecting them",
            )
        if hasattr(pending, "close"):
            pending.close()

        # The lesson's example, a size that is not a power of two, and an empty file.
        lesson = folder / "lesson.bin"
        lesson_data = write_sample(lesson, 3 * MiB + 17)
        lesson_sizes = expect_chunks(file_chunks, lesson, lesson_data, MiB, f"a {size(3 * MiB)} + 17 B file")
        odd = folder / "odd.bin"
        expect_chunks(file_chunks, odd, write_sample(odd, 10_000, seed=2), 4096, "a 10000 B file")
        empty = folder / "empty.bin"
        empty.write_bytes(b"")
        got = take_chunks(file_chunks(empty, KiB), limit=1)
        if got:
            raise Failure(
                "an empty file gave chunks.",
                expected="nothing: the loop ends at once",
                got=sizes([len(c) for c in got]),
                next="check for the end of the file before yielding",
            )

        # chunk_size <= 0 is a mistake, not a request for the whole file or for nothing.
        for bad in (0, -1):
            try:
                got = take_chunks(file_chunks(odd, bad), limit=3)
            except ValueError:
                continue
            raise Failure(
                f"chunk_size={bad} was accepted.",
                expected="ValueError",
                got=sizes([len(c) for c in got]),
                next="raise ValueError when chunk_size <= 0: read(0) returns b'' and read(-1) reads everything",
            )

        # The file is open only while chunks are being taken.
        chunks = file_chunks(lesson, MiB)
        if is_open(lesson):
            raise Failure(
                "the file was open before the first next().",
                expected="no file opened until a chunk is asked for",
                got="the file open right after the call",
                next="open the file inside the generator function",
            )
        take_chunks(chunks, limit=6)
        if is_open(lesson):
            raise Failure(
                "the file was still open after the last chunk.",
                expected="the file closed when the generator ends",
                got="the file still open",
                next='use `with open(path, "rb") as f:` inside the generator',
            )
        chunks = file_chunks(lesson, KiB)
        next(chunks)
        chunks.close()
        if is_open(lesson):
            raise Failure(
                "the file stayed open after the generator was closed early.",
                expected="close() (or a `break` out of a for loop) closes the file",
                got="the file still open after close()",
                next='use `with open(path, "rb") as f:` inside the generator, so close() runs its exit',
            )

        # Memory: a 16 MiB file in 64 KiB chunks must never be held whole.
        big = folder / "big.bin"
        write_sample(big, 16 * MiB, seed=3)
        bound = 4 * 64 * KiB
        with peak_memory() as peak:
            count = 0
            for _ in file_chunks(big, 64 * KiB):
                count += 1
                if count > 300:
                    break
        if peak[0] > bound:
            raise Failure(
                f"reading a {size(16 * MiB)} file in {size(64 * KiB)} chunks took {size(peak[0])} of memory at its peak.",
                expected=f"under {size(bound)} (4 x chunk_size), whatever the file's size",
                got=f"{size(peak[0])}: the whole file was in memory at once",
                next="read chunk_size bytes per step; never read() the whole file and slice it",
            )

        # Over real HTTP: the same generator behind a StreamingResponse gives the same bytes.
        async def download(request):
            return StreamingResponse(file_chunks(lesson, 64 * KiB), media_type="application/octet-stream")

        server = ctx.serve(Starlette(routes=[Route("/lesson.bin", download)]))
        response = server.client.get("/lesson.bin")
        digest = hashlib.sha256(response.content).hexdigest()
        if response.status_code != 200 or digest != hashlib.sha256(lesson_data).hexdigest():
            raise Failure(
                "served through StreamingResponse, the file did not arrive intact.",
                expected=f"200 and {len(lesson_data)} bytes with the file's sha256",
                got=f"{response.status_code} and {len(response.content)} bytes, sha256 {digest[:12]}…",
                next="yield the file's bytes and nothing else",
            )
    return (
        f"{sizes(lesson_sizes)}; 10000 B in 4 KiB chunks, an empty file and chunk_size <= 0 handled; "
        f"nothing opened before next(); file closed at the end and on close(); "
        f"peak memory under {size(bound)} for a {size(16 * MiB)} file; identical bytes over HTTP (sha256)."
    )
