"""Exercise 1.5 aiter_file: an async generator that reads a file chunk_size bytes at a time, each read in a
worker thread, so the event loop keeps running while the disk (or a slow pipe) makes it wait."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from typing import Any

from .._case import Failure, case
from .._tools import (
    KiB,
    MiB,
    SlowPipe,
    is_open,
    peak_memory,
    run_async,
    sample_bytes,
    size,
    sizes,
    unclosed_files,
    write_sample,
)
from ._shared import expect_bad_chunk_sizes_refused, take_chunks_async

TICK = 0.005  # the ticker coroutine's period
FREEZE = 0.04  # a gap between ticks longer than this counts as the loop standing still
PIPE_PIECES, PIPE_PIECE, PIPE_INTERVAL = 6, 16 * KiB, 0.12
DEFAULT_CHUNKS = [64 * KiB] * 3 + [3409]


def small_file(ctx):
    """A file of 3 x 64 KiB + 3409 bytes, written once per check: (path, its bytes)."""
    if "small" not in ctx.found:
        path = ctx.folder / "small.bin"
        ctx.found["small"] = (path, write_sample(path, sum(DEFAULT_CHUNKS), seed=10))
    return ctx.found["small"]


def take_async(aiter_file, path, chunk_size: int | None, limit: int) -> list[bytes]:
    chunks = aiter_file(path) if chunk_size is None else aiter_file(path, chunk_size)
    return run_async(take_chunks_async(chunks, limit, "aiter_file"))


@case("1.5")
def opens_nothing_when_called(aiter_file, ctx):
    try:
        ctx.found["made"] = aiter_file(ctx.folder / "not-there.bin", 64 * KiB)
    except FileNotFoundError:
        raise Failure(
            "calling aiter_file opened the file at once, before anything asked for a chunk.",
            expected="nothing opened before the first `async for` step",
            got="FileNotFoundError raised by the call itself",
            next="make it `async def` with `yield` in its body",
        ) from None


@case("1.5")
def is_an_async_generator(aiter_file, ctx):
    """What calling it gives: an async generator, not a coroutine or a plain generator."""
    made = ctx.found.pop("made")
    if inspect.iscoroutine(made):
        made.close()
        returned = run_async(aiter_file(small_file(ctx)[0], 64 * KiB))  # a stub raises NotImplementedError here
        raise Failure(
            "aiter_file is a coroutine function: an async def that returns gives one result, not a stream.",
            expected="an async generator (async def with `yield`), used with `async for chunk in aiter_file(...)`",
            got=f"a coroutine that returned a {type(returned).__name__}, after reading everything",
            next="`yield` each chunk inside the async def instead of returning them",
        )
    if inspect.isgenerator(made) or (hasattr(made, "__next__") and not hasattr(made, "__anext__")):
        if hasattr(made, "close"):
            made.close()
        raise Failure(
            "aiter_file returned a plain generator, not an async generator.",
            expected="an async generator (async def with `yield`), used with `async for`",
            got="a generator from a plain def: `async for` cannot use it, and its reads block the event loop",
            next="make it `async def aiter_file(...)` and await each read in a worker thread",
        )
    if not hasattr(made, "__anext__"):
        raise Failure(
            f"aiter_file returned a {type(made).__name__}, not an async generator.",
            expected="an async generator (async def with `yield`), used with `async for`",
            got=f"a {type(made).__name__}",
            next="make it `async def aiter_file(...)` and `yield` each chunk",
        )
    if hasattr(made, "aclose"):
        run_async(made.aclose())
    return "an async generator"


@case("1.5")
def gives_the_files_chunks(aiter_file, ctx):
    """With the default chunk_size and another one."""
    path, data = small_file(ctx)
    for chunk_size, want in ((None, DEFAULT_CHUNKS), (50_000, [50_000] * 4 + [len(data) - 200_000])):
        got = take_async(aiter_file, path, chunk_size, limit=len(want) + 2)
        step = f"{chunk_size} B chunks" if chunk_size else "the default chunk_size"
        if [len(c) for c in got] != want:
            raise Failure(
                f"a {len(data)} B file in {step} gave the wrong pieces.",
                expected=sizes(want) + f" ({len(data)} bytes)",
                got=sizes([len(c) for c in got]) + f" ({sum(len(c) for c in got)} bytes)",
                next="read exactly chunk_size bytes per step; only the last chunk may be shorter",
            )
        if b"".join(got) != data:
            raise Failure(
                f"a {len(data)} B file in {step}: the chunks have the right sizes but not the file's bytes.",
                expected="the file's bytes, in order",
                got="different bytes",
                next="yield each read() as it comes, without changing it",
            )
    return f"{sizes(DEFAULT_CHUNKS)}, bytes identical"


@case("1.5")
def handles_an_empty_file_and_bad_chunk_sizes(aiter_file, ctx):
    empty = ctx.folder / "empty.bin"
    empty.write_bytes(b"")
    got = take_async(aiter_file, empty, KiB, limit=1)
    if got:
        raise Failure(
            "an empty file gave chunks.",
            expected="nothing: the loop ends at once",
            got=sizes([len(c) for c in got]),
            next="check for the end of the file (read() returns b'') before yielding",
        )
    path, _ = small_file(ctx)
    expect_bad_chunk_sizes_refused(lambda bad: take_async(aiter_file, path, bad, limit=3))
    return "an empty file and chunk_size <= 0 handled"


async def first_then_aclose(aiter_file, path) -> None:
    chunks = aiter_file(path, 64 * KiB)
    await chunks.__anext__()
    await chunks.aclose()


@case("1.5")
def closes_the_file_at_the_end_and_on_aclose(aiter_file, ctx):
    path, _ = small_file(ctx)
    with unclosed_files() as leaked:
        take_async(aiter_file, path, 64 * KiB, limit=6)
        if is_open(path):
            raise Failure(
                "the file was still open after the last chunk.",
                expected="the file closed when the async generator ends",
                got="the file still open",
                next="close the file in a `finally:` (or use `with`) inside the async generator",
            )
        run_async(first_then_aclose(aiter_file, path))
        if is_open(path):
            raise Failure(
                "the file stayed open after the async generator was closed early.",
                expected="aclose() (or a `break` out of an async for loop) closes the file",
                got="the file still open after aclose()",
                next="close the file in a `finally:` inside the async generator",
            )
    if any(str(path) in message for message in leaked):
        raise Failure(
            "the file was never closed by the async generator; Python closed it when it threw it away.",
            expected="the file closed by the generator itself, at the end and on aclose()",
            got="ResourceWarning: unclosed file",
            next="close the file in a `finally:` inside the async generator",
        )
    return "file closed at the end and on aclose()"


async def count_chunks(chunks: Any, limit: int) -> int:
    """Go through the chunks keeping none of them (to measure what the answer itself holds)."""
    count = 0
    async for _ in chunks:
        count += 1
        if count >= limit:
            break
    return count


@case("1.5")
def keeps_memory_flat(aiter_file, ctx):
    """An 8 MiB file in 64 KiB chunks."""
    big = ctx.folder / "big.bin"
    write_sample(big, 8 * MiB, seed=11)
    bound = 1 * MiB
    with peak_memory() as peak:
        run_async(count_chunks(aiter_file(big, 64 * KiB), limit=130))
    if peak[0] > bound:
        raise Failure(
            f"reading an {size(8 * MiB)} file in {size(64 * KiB)} chunks took {size(peak[0])} of memory "
            "at its peak.",
            expected=f"under {size(bound)}, whatever the file's size",
            got=f"{size(peak[0])}: the whole file was in memory at once",
            next="read chunk_size bytes per step; never read() the whole file and slice it",
        )
    return f"peak memory under {size(bound)} for {size(8 * MiB)}"


async def read_while_ticking(aiter_file, path, chunk_size: int, limit: int) -> tuple[list[bytes], float, float]:
    """Read `path` with the answer while a ticker coroutine runs; return the chunks, time frozen, time taken."""
    ticks: list[float] = []
    running = True

    async def ticker() -> None:
        while running:
            ticks.append(time.monotonic())
            await asyncio.sleep(TICK)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    began = time.monotonic()
    try:
        got = await take_chunks_async(aiter_file(path, chunk_size), limit, "aiter_file")
    finally:
        ended = time.monotonic()
        running = False
        await task
    marks = [began] + [t for t in ticks if began < t < ended] + [ended]
    frozen = sum(gap for gap in (b - a for a, b in zip(marks, marks[1:])) if gap > FREEZE)
    return got, frozen, ended - began


@case("1.5")
def keeps_the_event_loop_running(aiter_file, ctx):
    """A named pipe that gets one piece every PIPE_INTERVAL s makes each read wait for real."""
    if not hasattr(os, "mkfifo"):
        return "(no named pipes on this system: the event loop was not measured)."
    pieces = [sample_bytes(PIPE_PIECE, seed=20 + i) for i in range(PIPE_PIECES)]
    with SlowPipe(ctx.folder / "slow.pipe", pieces, PIPE_INTERVAL) as pipe:
        got, frozen, took = run_async(read_while_ticking(aiter_file, pipe.path, PIPE_PIECE, PIPE_PIECES * PIPE_PIECE))
    if frozen > took / 2:
        raise Failure(
            "the event loop froze while aiter_file waited for data: other coroutines could not run.",
            expected=f"other coroutines keep running while a read waits (a {TICK * 1000:g} ms ticker "
            f"kept ticking while a slow pipe was read)",
            got="the ticker stood still for more than half of the read: each read() ran on the "
            "event loop's own thread",
            next="run each read in a worker thread: chunk = await asyncio.to_thread(f.read, chunk_size)",
        )
    if b"".join(got) != b"".join(pieces):
        raise Failure(
            "read from a slow pipe, the bytes came out different.",
            expected=f"{PIPE_PIECES * PIPE_PIECE} bytes, as written to the pipe",
            got=f"{sum(len(c) for c in got)} bytes, different ones",
            next="read until read() returns b'', yielding each chunk as it comes",
        )
    return (
        f"a {TICK * 1000:g} ms ticker kept running while a slow pipe was read "
        f"({size(PIPE_PIECE)} every {PIPE_INTERVAL:g} s)."
    )
