"""Exercise 1.1 file_chunks: a generator that reads a file chunk_size bytes at a time."""

from __future__ import annotations

import hashlib

import httpx
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

from .._case import Failure, case
from .._tools import KiB, MiB, peak_memory, size, sizes, write_sample
from ._shared import expect_bad_chunk_sizes_refused, expect_closed, expect_lazy, take_chunks


def expect_chunks(file_chunks, path, data: bytes, chunk_size: int, what: str) -> list[int]:
    """Read `path` with the answer in `chunk_size` chunks: the sizes, then the bytes, must be the file's."""
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


def lesson_file(ctx):
    """The lesson's example file, 3 MiB + 17 B, written once per check: (path, its bytes)."""
    if "lesson" not in ctx.found:
        path = ctx.folder / "lesson.bin"
        ctx.found["lesson"] = (path, write_sample(path, 3 * MiB + 17))
    return ctx.found["lesson"]


@case("1.1")
def opens_nothing_when_called(file_chunks, ctx):
    expect_lazy(lambda: file_chunks(ctx.folder / "not-there.bin", KiB), "file_chunks")


@case("1.1")
def gives_the_lessons_chunks(file_chunks, ctx):
    path, data = lesson_file(ctx)
    return sizes(expect_chunks(file_chunks, path, data, MiB, f"a {size(3 * MiB)} + 17 B file"))


@case("1.1")
def handles_odd_sizes_empty_files_and_bad_chunk_sizes(file_chunks, ctx):
    odd = ctx.folder / "odd.bin"
    expect_chunks(file_chunks, odd, write_sample(odd, 10_000, seed=2), 4096, "a 10000 B file")
    empty = ctx.folder / "empty.bin"
    empty.write_bytes(b"")
    got = take_chunks(file_chunks(empty, KiB), limit=1)
    if got:
        raise Failure(
            "an empty file gave chunks.",
            expected="nothing: the loop ends at once",
            got=sizes([len(c) for c in got]),
            next="check for the end of the file before yielding",
        )
    expect_bad_chunk_sizes_refused(lambda bad: take_chunks(file_chunks(odd, bad), limit=3))
    return "10000 B in 4 KiB chunks, an empty file and chunk_size <= 0 handled"


@case("1.1")
def keeps_the_file_open_only_while_reading(file_chunks, ctx):
    path, _ = lesson_file(ctx)
    expect_closed(lambda: file_chunks(path, MiB), path, limit=6, what="file_chunks")
    return "nothing opened before next(); file closed at the end and on close()"


@case("1.1")
def keeps_memory_flat(file_chunks, ctx):
    """A 16 MiB file in 64 KiB chunks must never be held whole."""
    big = ctx.folder / "big.bin"
    write_sample(big, 16 * MiB, seed=3)
    bound = 4 * 64 * KiB
    with peak_memory() as peak:
        for count, _ in enumerate(file_chunks(big, 64 * KiB)):
            if count >= 300:
                break
    if peak[0] > bound:
        raise Failure(
            f"reading a {size(16 * MiB)} file in {size(64 * KiB)} chunks took {size(peak[0])} of memory at its peak.",
            expected=f"under {size(bound)} (4 x chunk_size), whatever the file's size",
            got=f"{size(peak[0])}: the whole file was in memory at once",
            next="read chunk_size bytes per step; never read() the whole file and slice it",
        )
    return f"peak memory under {size(bound)} for a {size(16 * MiB)} file"


@case("1.1")
def arrives_intact_over_http(file_chunks, ctx):
    """The same generator behind a StreamingResponse gives the same bytes."""
    path, data = lesson_file(ctx)

    async def download(request):
        return StreamingResponse(file_chunks(path, 64 * KiB), media_type="application/octet-stream")

    server = ctx.serve(Starlette(routes=[Route("/lesson.bin", download)]))
    status, body, broke = _download(server.client, "/lesson.bin")
    if broke and ctx.server_errors:
        error = ctx.server_errors[-1]
        broke = f"{broke}: the server raised {type(error).__name__}: {error}"
    digest = hashlib.sha256(body).hexdigest()
    if broke or status != 200 or digest != hashlib.sha256(data).hexdigest():
        raise Failure(
            "served through StreamingResponse, the file did not arrive intact.",
            expected=f"200 and {len(data)} bytes with the file's sha256",
            got=f"{status} and {len(body)} bytes, sha256 {digest[:12]}…" + (f", then {broke}" if broke else ""),
            next="yield the file's bytes and nothing else",
        )
    return "identical bytes over HTTP (sha256)."


def _download(client: httpx.Client, url: str) -> tuple[int, bytes, str]:
    """GET `url`: the status, the body's bytes that arrived, and how the connection broke ('' if it did not)."""
    status, body = 0, bytearray()
    try:
        with client.stream("GET", url) as response:
            status = response.status_code
            for part in response.iter_bytes():
                body += part
    except httpx.TransportError:
        return status, bytes(body), "the connection broke"
    return status, bytes(body), ""
