"""Exercise 1.4 rechunk: a generator that gives the bytes of an iterable again in pieces of exactly `size`
bytes, taking from its input only what the next piece needs."""

from __future__ import annotations

import random
from typing import Any

from .._case import Failure, case
from .._tools import KiB, MiB, sample_bytes, size, sizes

ENDLESS_PIECES, ENDLESS_PIECE_SIZE, ENDLESS_INPUT = 3, 4096, 1000
ENDLESS_NEEDED = -(-ENDLESS_PIECES * ENDLESS_PIECE_SIZE // ENDLESS_INPUT)  # inputs the pieces need: 13


class InputEnded(Exception):
    """Raised by the check's endless input once it has given far more than a lazy rechunk would take."""


def take_pieces(pieces: Any, limit: int) -> list[bytes]:
    """Collect at most `limit` pieces; also fail when a piece changes after it was yielded (a reused buffer)."""
    kept: list[tuple[Any, bytes]] = []
    for piece in pieces:
        if not isinstance(piece, (bytes, bytearray, memoryview)):
            raise Failure(
                f"rechunk yielded a {type(piece).__name__}, not bytes (piece {len(kept) + 1}).",
                expected="bytes pieces",
                got=f"{type(piece).__name__}: {piece!r:.40}",
                next="yield bytes(...) of the buffer's first `size` bytes",
            )
        if len(piece) == 0:
            raise Failure(
                f"rechunk yielded an empty piece b'' (piece {len(kept) + 1}).",
                expected="only non-empty pieces",
                got=f"b'' after {sizes([len(p) for _, p in kept])}",
                next="after the loop, yield what is left only if the buffer is not empty",
            )
        kept.append((piece, bytes(piece)))
        if len(kept) > limit:
            raise Failure(
                f"rechunk kept yielding after {limit} pieces, more than the input makes.",
                expected=f"at most {limit} pieces",
                got=sizes([len(p) for _, p in kept]),
                next="yield a piece only when the buffer holds `size` bytes, and take them out of it",
            )
    for number, (piece, seen) in enumerate(kept, 1):
        if bytes(piece) != seen:
            raise Failure(
                f"piece {number} changed after it was yielded.",
                expected="each piece keeps the bytes it had when it was yielded",
                got="the buffer itself was yielded and then emptied or refilled",
                next="yield a copy: bytes(buffer[:size]), never the bytearray itself",
            )
    return [seen for _, seen in kept]


def expect_pieces(rechunk, inputs: list[bytes], piece_size: int | None, what: str) -> list[int]:
    """Re-chunk `inputs` (with the default size when `piece_size` is None): the sizes, then the bytes, must be right."""
    data = b"".join(inputs)
    step = piece_size or 64 * KiB
    expected = [min(step, len(data) - start) for start in range(0, len(data), step)]
    pieces = rechunk(iter(inputs)) if piece_size is None else rechunk(iter(inputs), piece_size)
    got = take_pieces(pieces, limit=len(expected) + 2)
    got_sizes = [len(p) for p in got]
    if got_sizes != expected:
        if got_sizes == expected[:-1]:
            problem, advice = "the last, shorter piece is missing", "after the loop, yield what is left in the buffer"
        elif any(n > step for n in got_sizes):
            problem = f"a piece is longer than size={step}"
            advice = "yield exactly buffer[:size] and keep the rest; a `while` loop also splits inputs longer than size"
        elif sum(got_sizes) == len(data):
            problem, advice = "the pieces are not all `size` bytes", "only the last piece may be shorter than size"
        else:
            problem, advice = "bytes were lost or added", "keep every byte of the input, in order"
        raise Failure(
            f"{what}, size={step}: {problem}.",
            expected=sizes(expected) + f" ({len(data)} bytes)",
            got=sizes(got_sizes) + f" ({sum(got_sizes)} bytes)",
            next=advice,
        )
    if b"".join(got) != data:
        first = next(i for i, (a, b) in enumerate(zip(b"".join(got), data)) if a != b)
        raise Failure(
            f"{what}, size={step}: the pieces have the right sizes but not the input's bytes.",
            expected="the input's bytes, in order",
            got=f"a difference at byte {first}",
            next="append each input to the end of the buffer and take pieces from its front",
        )
    return got_sizes


@case("1.4")
def gives_the_docstrings_example(rechunk, ctx):
    expect_pieces(rechunk, [b"ab", b"cde", b"f"], 4, '[b"ab", b"cde", b"f"]')
    return '[b"ab", b"cde", b"f"] -> b"abcd", b"ef"'


@case("1.4")
def splits_long_inputs_skips_empty_ones_and_refuses_bad_sizes(rechunk, ctx):
    expect_pieces(rechunk, [b"abcdefghij"], 4, '[b"abcdefghij"]')
    expect_pieces(rechunk, [b"", b"abcd", b"", b"efgh", b""], 4, '[b"", b"abcd", b"", b"efgh", b""]')
    expect_pieces(rechunk, [], 4, "an empty input")
    for bad in (0, -1):
        try:
            got = take_pieces(rechunk(iter([b"abcdef"]), bad), limit=10)
        except ValueError:
            continue
        except Failure as failure:
            got, detail = None, failure.problem
        raise Failure(
            f"size={bad} was accepted.",
            expected="ValueError",
            got=sizes([len(p) for p in got]) if got is not None else detail,
            next="raise ValueError when size <= 0: no piece of that size can ever be made",
        )
    return "inputs longer than size split, empty inputs skipped, nothing from nothing, size <= 0 refused"


@case("1.4")
def keeps_every_byte_of_many_inputs(rechunk, ctx):
    data = sample_bytes(300_000, seed=6)
    cuts = sorted(random.Random(7).sample(range(1, len(data)), 399))
    small = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    expect_pieces(rechunk, small, 1000, "400 uneven inputs")
    big = [sample_bytes(MiB + 5, seed=8), b"xyz"]
    default_sizes = expect_pieces(rechunk, big, None, "a 1 MiB + 5 B input and a 3 B one")
    return (
        f"400 uneven inputs in 1000 B pieces and 1 MiB + 8 B in "
        f"{len(default_sizes) - 1} x 64 KiB + {size(default_sizes[-1])}, bytes identical"
    )


class EndlessInput:
    """1000-byte chunks that stop (with InputEnded) only after 2000 of them; `pulled` counts those taken."""

    def __init__(self) -> None:
        self.pulled = 0
        self.sample = sample_bytes(ENDLESS_INPUT, seed=9)

    def __iter__(self):
        while self.pulled < 2000:
            self.pulled += 1
            yield self.sample
        raise InputEnded


@case("1.4")
def stays_lazy_on_an_endless_input(rechunk, ctx):
    endless, wanted, piece_size = EndlessInput(), ENDLESS_PIECES, ENDLESS_PIECE_SIZE
    expected = f"{wanted} pieces of {size(piece_size)} after taking {ENDLESS_NEEDED} inputs of 1000 B"
    try:
        pieces = rechunk(iter(endless), piece_size)
        got = [next(pieces) for _ in range(wanted)]
    except InputEnded:
        raise Failure(
            "rechunk took its whole input before yielding a piece, so an endless stream never gets one.",
            expected=expected,
            got="the input read to its end (the check's endless input stops after 2000 chunks)",
            next="yield each piece inside the `for chunk in chunks:` loop, as soon as the buffer holds `size` bytes",
        ) from None
    except StopIteration:
        raise Failure(
            "on an endless input, rechunk stopped early.",
            expected=f"{wanted} pieces of {size(piece_size)}",
            got="the generator ended",
            next="keep looping over the input as long as it gives chunks",
        ) from None
    if [len(p) for p in got] != [piece_size] * wanted or endless.pulled > ENDLESS_NEEDED + 1:
        raise Failure(
            "on an endless input, rechunk took more than the pieces needed.",
            expected=expected,
            got=f"{sizes([len(p) for p in got])} after taking {endless.pulled} inputs",
            next="take the next input only when the buffer holds less than `size` bytes",
        )
    if hasattr(pieces, "close"):
        pieces.close()
    return f"an endless input gave {wanted} pieces after taking {ENDLESS_NEEDED} chunks."
