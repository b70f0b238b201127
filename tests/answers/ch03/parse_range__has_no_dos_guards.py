"""Right for every honest header, but has none of the guards: 1300 overlapping ranges are merged and served."""

import re

from course_lib.support.ch03 import RangeResult

EXERCISE = "3.1"
CASE = "guards_against_abuse"
MESSAGE = [
    "✗ 3.1 parse_range: parse_range('bytes=0-,5-5,5-6,5-7",
    "(8013 characters)",
    "the 2011 'Apache Killer' sent 1300",
]


def parse_range(header: str | None, size: int) -> RangeResult:
    int_range = re.compile(r"([0-9]+)-([0-9]*)")  # first-pos "-" [ last-pos ]: ASCII digits only
    suffix_range = re.compile(r"-([0-9]+)")  # "-" suffix-length
    token = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a range unit (RFC 9110 §5.6.2)

    def number(digits: str) -> int:
        """An ASCII digit string as an int; absurdly long ones (hostile headers) as a number bigger than any file."""
        digits = digits.lstrip("0") or "0"
        return int(digits) if len(digits) <= 30 else 10**30

    def coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Merge ranges that overlap or touch; each merged range takes the place of its earliest member."""
        merged: list[tuple[int, int]] = []
        for first, last in ranges:
            touching = [i for i, (f, l) in enumerate(merged) if f <= last + 1 and first <= l + 1]
            if not touching:
                merged.append((first, last))
                continue
            first = min([first] + [merged[i][0] for i in touching])
            last = max([last] + [merged[i][1] for i in touching])
            merged[touching[0]] = (first, last)
            for i in reversed(touching[1:]):
                del merged[i]
        return merged

    if header is None:
        return RangeResult("ignore", [])
    unit, equals, range_set = header.strip().partition("=")
    if not equals or not token.fullmatch(unit) or unit.lower() != "bytes":
        return RangeResult("ignore", [])
    specs = [part.strip(" \t") for part in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if not specs:
        return RangeResult("ignore", [])

    wanted: list[tuple[int, int]] = []
    suffix_on_empty = False
    for spec in specs:
        if match := int_range.fullmatch(spec):
            first = number(match[1])
            last = number(match[2]) if match[2] else None
            if last is not None and last < first:
                return RangeResult("ignore", [])  # invalid range-spec: the whole header is invalid
            if first < size:
                wanted.append((first, size - 1 if last is None else min(last, size - 1)))
        elif match := suffix_range.fullmatch(spec):
            length = number(match[1])
            if length > 0 and size > 0:
                wanted.append((max(size - length, 0), size - 1))
            elif length > 0:
                suffix_on_empty = True
        else:
            return RangeResult("ignore", [])
    if suffix_on_empty and not wanted:
        return RangeResult("ignore", [])
    if not wanted:
        return RangeResult("unsatisfiable", [])
    return RangeResult("ranges", coalesce(wanted))
