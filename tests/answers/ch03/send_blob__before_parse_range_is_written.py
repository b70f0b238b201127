"""send_blob as the solution has it, but parse_range (3.1) is still the stub: the check says to finish 3.1."""

from course_lib.support.ch03 import RangeResult

EXERCISE = "3.2"
CASE = "sends_the_whole_blob_with_its_headers"
MESSAGE = [
    "✗ 3.2 send_blob: send_blob calls parse_range, which is not written yet.",
    "  expected: exercise 3.1 done first",
    "  got:      NotImplementedError from parse_range",
    "  next: finish parse_range and check(\"3.1\"); hint(\"3.2\") gives a hint",
]


def parse_range(header: str | None, size: int) -> RangeResult:
    # TODO: decide what the Range header asks of a `size` byte representation, as a RangeResult.
    raise NotImplementedError
