"""Exercise 3.1 parse_range: a table of Range headers, from the RFC's own examples to hostile ones.

Each case compares parse_range() with its own rows: (topic, header, size, the result expected), the topic
naming the advice given when the result is wrong.
"""

from __future__ import annotations

from typing import Any

from .._case import Failure, case

IGNORE = ("ignore", [])
UNSATISFIABLE = ("unsatisfiable", [])

_ADVICE = {
    "single": "last-pos is included: bytes=0-99 is (0, 99), 100 bytes",
    "open": "a range with no last-pos runs to the end: (first, size - 1)",
    "suffix": "bytes=-N means the last N bytes: (size - N, size - 1), the whole file when N >= size",
    "clamp": "a last-pos at or past the end means the end: min(last, size - 1)",
    "order": "keep the ranges in the order they were asked for; only merged ones move",
    "coalesce": "merge ranges that overlap or touch: (0, 99) and (100, 199) -> (0, 199)",
    "partly": "drop only the ranges that start at or past the end; unsatisfiable needs all of them to (§14.1.2)",
    "unsat": "when every range starts at or past the end, return ('unsatisfiable', []) so the server sends 416",
    "zero": "a suffix of 0 bytes is never satisfiable (§14.1.2)",
    "unit": "a range unit other than bytes MUST be ignored (§14.2); units compare case-insensitively",
    "none": "no header (None) or an empty one -> ('ignore', [])",
    "invalid": "one invalid range-spec makes the whole header invalid: return ('ignore', [])",
    "digits": "positions are ASCII digits only: int() also takes '+5', ' 5', '1_0' and '٥'; match [0-9]+",
    "list": "spaces around commas and empty list elements are allowed (RFC 9110 §5.6.1)",
    "many": "more than 50 range-specs -> ('ignore', []): the 2011 'Apache Killer' sent 1300",
    "overlap": "a byte asked for by three or more ranges -> ('ignore', [])",
    "unsorted": "more than 10 ranges not in ascending order -> ('ignore', [])",
    "empty": "on an empty file bytes=0- is unsatisfiable and bytes=-5 is ('ignore', []): 200 with no bytes",
    "huge": "a position with thousands of digits must not crash (int() refuses over 4300 digits)",
}


def _short(header: str | None) -> str:
    text = repr(header)
    return text if len(text) <= 60 else text[:40] + f"…' ({len(header or '')} characters)"


def _normal(result: Any) -> tuple[str, list[tuple[int, int]]] | None:
    """A result as (kind, [(first, last), ...]), or None if it does not have that shape."""
    try:
        kind, ranges = result
        return kind, [(int(first), int(last)) for first, last in ranges]
    except (TypeError, ValueError):
        return None


def expect_rows(parse_range, ctx, rows: list[tuple[str, str | None, int, tuple[str, list[tuple[int, int]]]]]) -> None:
    """Fail on the first of `rows` (topic, header, size, the result expected) that parse_range() gets wrong."""
    ctx.found["headers"] = ctx.found.get("headers", 0) + len(rows)
    for topic, header, length, expected in rows:
        got = parse_range(header, length)
        normal = _normal(got)
        if normal is None:
            raise Failure(
                f"parse_range({_short(header)}, {length}) returned {type(got).__name__} {got!r:.60}.",
                expected="a (kind, ranges) pair: RangeResult(\"ranges\", [(0, 99)]), (\"ignore\", []) or "
                "(\"unsatisfiable\", [])",
                got=f"{got!r:.80}",
                next="return RangeResult(kind, ranges)",
            )
        if normal != expected:
            raise Failure(
                f"parse_range({_short(header)}, {length}) is wrong.",
                expected=f"{expected}",
                got=f"{normal}"[:120],
                next=_ADVICE[topic],
            )


@case("3.1")
def reads_single_open_and_suffix_ranges(parse_range, ctx):
    expect_rows(parse_range, ctx, [
        ("single", "bytes=0-99", 10000, ("ranges", [(0, 99)])),
        ("single", "bytes=500-999", 10000, ("ranges", [(500, 999)])),
        ("single", "bytes=0-0", 10000, ("ranges", [(0, 0)])),
        ("open", "bytes=9500-", 10000, ("ranges", [(9500, 9999)])),
        ("suffix", "bytes=-500", 10000, ("ranges", [(9500, 9999)])),
        ("suffix", "bytes=-20000", 10000, ("ranges", [(0, 9999)])),
    ])


@case("3.1")
def clamps_keeps_order_and_merges(parse_range, ctx):
    expect_rows(parse_range, ctx, [
        ("clamp", "bytes=9000-20000", 10000, ("ranges", [(9000, 9999)])),
        ("clamp", "bytes=0-10000", 10000, ("ranges", [(0, 9999)])),
        ("order", "bytes=500-599,0-99", 10000, ("ranges", [(500, 599), (0, 99)])),
        ("order", "bytes=9000-9099,-100,0-99", 10000, ("ranges", [(9000, 9099), (9900, 9999), (0, 99)])),
        ("coalesce", "bytes=0-99,50-199", 10000, ("ranges", [(0, 199)])),
        ("coalesce", "bytes=0-99,100-199", 10000, ("ranges", [(0, 199)])),
        ("coalesce", "bytes=5000-5099,0-99,90-210", 10000, ("ranges", [(5000, 5099), (0, 210)])),
    ])


@case("3.1")
def drops_what_lies_past_the_end(parse_range, ctx):
    """Ranges past the end are dropped; when nothing is left, or for a zero suffix, the answer is 416."""
    expect_rows(parse_range, ctx, [
        ("partly", "bytes=0-9,20000-", 10000, ("ranges", [(0, 9)])),
        ("unsat", "bytes=20000-", 10000, UNSATISFIABLE),
        ("unsat", "bytes=10000-10005", 10000, UNSATISFIABLE),
        ("zero", "bytes=-0", 10000, UNSATISFIABLE),
    ])


@case("3.1")
def ignores_other_units_and_no_header(parse_range, ctx):
    expect_rows(parse_range, ctx, [
        ("unit", "items=0-5", 10000, IGNORE),
        ("unit", "Bytes=0-9", 10000, ("ranges", [(0, 9)])),
        ("none", None, 10000, IGNORE),
        ("none", "", 10000, IGNORE),
    ])


@case("3.1")
def ignores_invalid_syntax(parse_range, ctx):
    """One bad range-spec (or a position that is not ASCII digits) spoils the header; list syntax does not."""
    expect_rows(parse_range, ctx, [
        ("invalid", "bytes=5-4", 10000, IGNORE),
        ("invalid", "bytes=abc", 10000, IGNORE),
        ("invalid", "bytes=0-9,abc", 10000, IGNORE),
        ("invalid", "bytes=-", 10000, IGNORE),
        ("invalid", "bytes=", 10000, IGNORE),
        ("invalid", "bytes 0-9", 10000, IGNORE),
        ("digits", "bytes=0-1_0", 10000, IGNORE),
        ("digits", "bytes=+5-9", 10000, IGNORE),
        ("digits", "bytes=٠-٩", 10000, IGNORE),
        ("list", "bytes=0-9, 20-29", 10000, ("ranges", [(0, 9), (20, 29)])),
        ("list", "bytes=0-9,,20-29,", 10000, ("ranges", [(0, 9), (20, 29)])),
    ])


@case("3.1")
def guards_against_abuse(parse_range, ctx):
    """Too many ranges, a byte asked for three times, too many out of order: ignored (RFC 9110 §14.2)."""
    expect_rows(parse_range, ctx, [
        ("many", "bytes=0-," + ",".join(f"5-{i}" for i in range(5, 1305)), 10000, IGNORE),
        ("many", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(51)), 10000, IGNORE),
        ("many", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in range(50)), 10000,
         ("ranges", [(i * 100, i * 100 + 9) for i in range(50)])),
        ("overlap", "bytes=0-,0-,0-", 10000, IGNORE),
        ("overlap", "bytes=0-99,50-149,90-95", 10000, IGNORE),
        ("unsorted", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in reversed(range(11))), 10000, IGNORE),
        ("unsorted", "bytes=" + ",".join(f"{i * 100}-{i * 100 + 9}" for i in reversed(range(10))), 10000,
         ("ranges", [(i * 100, i * 100 + 9) for i in reversed(range(10))])),
    ])


@case("3.1")
def handles_an_empty_file_and_huge_numbers(parse_range, ctx):
    expect_rows(parse_range, ctx, [
        ("empty", "bytes=0-", 0, UNSATISFIABLE),
        ("empty", "bytes=-0", 0, UNSATISFIABLE),
        ("empty", "bytes=-5", 0, IGNORE),
        ("huge", "bytes=0-" + "9" * 5000, 10000, ("ranges", [(0, 9999)])),
        ("huge", "bytes=" + "9" * 5000 + "-", 10000, UNSATISFIABLE),
    ])
    return (
        f"{ctx.found['headers']} headers right: single, open-ended, suffix, clamped and multiple ranges (order kept, "
        "overlaps merged), 416 cases, ignored units and invalid syntax, DoS guards, empty file, huge numbers."
    )
