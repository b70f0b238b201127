"""Exercise 1.2 byte_range_chunks: a generator of bytes start..end of a file (both included), as an HTTP
range names them, reading nothing before start and nothing past end."""

from __future__ import annotations

from .._case import Failure, case
from .._tools import KiB, MiB, sample_bytes, size, sizes, thread_bytes_read, write_sample
from ._shared import expect_closed, expect_lazy, take_chunks

BAD_ARGS = "check start < 0, end < start and chunk_size <= 0 first and raise ValueError"


def range_words(start: int, end: int) -> str:
    return f"bytes={start}-{end}"


def small_file(ctx):
    """A 10000-byte file, written once per check: (path, its bytes)."""
    if "small" not in ctx.found:
        path = ctx.folder / "small.bin"
        ctx.found["small"] = (path, write_sample(path, 10_000, seed=4))
    return ctx.found["small"]


def expect_range(byte_range_chunks, path, data: bytes, start: int, end: int, step: int) -> list[int]:
    """Take the range from the answer and compare it with the file's bytes start..end (both included)."""
    want = data[start : end + 1]
    got = take_chunks(byte_range_chunks(path, start, end, step), limit=-(-len(want) // step) + 2,
                      what="byte_range_chunks")  # fmt: skip
    joined = b"".join(got)
    words = range_words(start, end)
    too_big = [len(c) for c in got if len(c) > step]
    if too_big:
        raise Failure(
            f"{words} in chunks of at most {size(step)} gave a chunk of {size(too_big[0])}.",
            expected=f"chunks of at most chunk_size={step} bytes",
            got=sizes([len(c) for c in got]),
            next="read min(chunk_size, bytes still wanted) per step",
        )
    if joined != want:
        expect_inclusive_end(data, joined, start, end)
        raise_wrong_bytes(data, joined, start, end)
    return [len(c) for c in got]


def expect_inclusive_end(data: bytes, joined: bytes, start: int, end: int) -> None:
    """Fail with the HTTP meaning of `end` when the range came back one byte short or one byte long."""
    want, words = data[start : end + 1], range_words(start, end)
    past_end = f" (the file has {len(data)} bytes)" if end >= len(data) else ""
    if len(want) > 0 and joined == want[:-1]:
        raise Failure(
            f"{words} gave {len(joined)} bytes, one short: the end of a range is included.",
            expected=f"{len(want)} bytes{past_end}: {words} means bytes {start} to {end}, both included, "
            f"so {end} - {start} + 1 = {len(want)}",
            got=f"{len(joined)} bytes, up to byte {end - 1}",
            next="the number of bytes to read is end - start + 1",
        )
    if joined == data[start : end + 2]:
        raise Failure(
            f"{words} gave {len(joined)} bytes, one too many.",
            expected=f"{len(want)} bytes: bytes {start} to {end}, both included",
            got=f"{len(joined)} bytes, up to byte {end + 1}",
            next="the number of bytes to read is end - start + 1",
        )


def raise_wrong_bytes(data: bytes, joined: bytes, start: int, end: int) -> None:
    """Fail saying where the bytes that came back were taken from."""
    want = data[start : end + 1]
    past_end = f" (the file has {len(data)} bytes)" if end >= len(data) else ""
    found = data.find(joined[:64]) if joined else -1
    if found >= 0 and found != start:
        where = f"bytes from offset {found} on"
        advice = "seek(start) before the first read" if found == 0 else "seek(start) exactly, counting from byte 0"
    elif found == start and joined.startswith(want):
        where, advice = f"the right start, but {len(joined) - len(want)} bytes past byte {end}", "stop reading at end"
    else:
        where, advice = "bytes that are not the file's bytes start..end", "seek(start), then read up to end"
    raise Failure(
        f"{range_words(start, end)} did not give the file's bytes {start} to {end}.",
        expected=f"{len(want)} bytes{past_end}, from the byte at offset {start} on" if want else f"nothing{past_end}",
        got=f"{len(joined)} bytes: {where}",
        next=advice,
    )


def expect_refused(call, what: str, advice: str) -> None:
    """`call()` returns a generator of the answer's; raising ValueError at the call or at the first next() passes."""
    try:
        got = sizes([len(c) for c in take_chunks(call(), limit=3, what="byte_range_chunks")])
    except ValueError:
        return
    except Failure as failure:  # an empty chunk or too many: still not a refusal
        got = failure.problem
    except OSError as exc:
        raise Failure(
            f"{what} reached the file and failed there with {type(exc).__name__}.",
            expected="ValueError, raised before the file is opened",
            got=f"{type(exc).__name__}: {exc}",
            next=advice,
        ) from None
    raise Failure(f"{what} was accepted.", expected="ValueError", got=got, next=advice)


@case("1.2")
def opens_nothing_when_called(byte_range_chunks, ctx):
    expect_lazy(lambda: byte_range_chunks(ctx.folder / "not-there.bin", 0, 99), "byte_range_chunks")


@case("1.2")
def gives_the_ranges_a_range_header_names(byte_range_chunks, ctx):
    path, data = small_file(ctx)
    expect_range(byte_range_chunks, path, data, 0, 99, 4096)
    expect_range(byte_range_chunks, path, data, 100, 199, 4096)
    example = expect_range(byte_range_chunks, path, data, 1000, 9999, 4096)
    expect_range(byte_range_chunks, path, data, 5000, 5000, 4096)
    expect_range(byte_range_chunks, path, data, 0, 9999, 1000)
    return f"{range_words(1000, 9999)} in 4 KiB chunks: {', '.join(size(n) for n in example)}; bytes=0-99 is 100 bytes"


@case("1.2")
def handles_the_files_end_and_refuses_bad_arguments(byte_range_chunks, ctx):
    path, data = small_file(ctx)
    expect_range(byte_range_chunks, path, data, 9000, 20_000, 4096)
    expect_range(byte_range_chunks, path, data, 10_000, 10_099, 4096)
    expect_refused(lambda: byte_range_chunks(path, -1, 99, 4096), "start=-1", BAD_ARGS)
    expect_refused(lambda: byte_range_chunks(path, 100, 99, 4096), "start=100, end=99", BAD_ARGS)
    for bad in (0, -1):
        expect_refused(
            lambda: byte_range_chunks(path, 0, 99, bad),
            f"chunk_size={bad}",
            "raise ValueError when chunk_size <= 0: read(0) returns b'' and read(-1) reads everything",
        )
    return "end past the file, start at its end and bad arguments handled"


@case("1.2")
def keeps_the_file_open_only_while_reading(byte_range_chunks, ctx):
    path, _ = small_file(ctx)
    expect_closed(lambda: byte_range_chunks(path, 0, 9999, 1000), path, limit=12, what="byte_range_chunks")
    return "nothing opened before next(), file closed at the end and on close()"


BIG, START, LENGTH = 64 * MiB, 60 * MiB, 1000
END = START + LENGTH - 1


def sparse_file(ctx) -> tuple:
    """A 64 MiB file, sparse (holes read as zeros) apart from sample bytes around 60 MiB: (path, the range's bytes)."""
    path = ctx.folder / "big.bin"
    around = sample_bytes(256 * KiB, seed=5)
    with open(path, "wb") as f:
        f.truncate(BIG)
        f.seek(START - 128 * KiB)
        f.write(around)
    return path, around[128 * KiB : 128 * KiB + LENGTH]


@case("1.2")
def reads_only_the_range(byte_range_chunks, ctx):
    """1000 bytes 60 MiB into a 64 MiB file: count the bytes this thread actually reads."""
    path, want = sparse_file(ctx)
    before = thread_bytes_read()
    got = take_chunks(byte_range_chunks(path, START, END), limit=3, what="byte_range_chunks")
    after = thread_bytes_read()
    if b"".join(got) != want:
        raise Failure(
            f"{range_words(START, END)} of a {size(BIG)} file did not give the file's bytes {START} to {END}.",
            expected=f"{LENGTH} bytes, starting with the byte at offset {START}",
            got=f"{sum(len(c) for c in got)} bytes, different ones",
            next="seek(start), then read up to end",
        )
    bound = 64 * KiB + 64 * KiB  # one chunk_size (the default) and one buffer of slack
    if before is None or after is None:
        return f"1000 bytes {size(START)} into a {size(BIG)} file with (bytes read not measurable on this system)."
    if after - before > bound:
        from_zero = after - before >= START
        raise Failure(
            f"it read {size(after - before)} of the file to return {LENGTH} bytes.",
            expected=f"at most {size(bound)} read for {range_words(START, END)}, {LENGTH} bytes "
            f"{size(START)} into a {size(BIG)} file (the range, one chunk and a buffer)",
            got=f"{size(after - before)} read: "
            + ("everything before start was read and thrown away" if from_zero else "the reads went on past end"),
            next="seek(start) first instead of reading up to it" if from_zero else "stop reading at end",
        )
    return f"1000 bytes {size(START)} into a {size(BIG)} file with at most {size(bound)} read."
