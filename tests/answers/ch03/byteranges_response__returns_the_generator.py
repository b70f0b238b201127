"""Builds the parts' generator and returns it as it is, not inside a StreamingResponse."""

from collections.abc import Iterator

from starlette.responses import Response

from course_lib.support.ch03 import Blob, read_range

EXERCISE = "3.3"
CASE = "sends_one_part_per_range"
MESSAGE = [
    "✗ 3.3 byteranges_response: byteranges_response returned a generator, not a Response.",
    "  got:      generator",
    "return the Response you built",
]


def byteranges_response(blob: Blob, ranges: list[tuple[int, int]]) -> Response:
    import secrets

    boundary = secrets.token_hex(16)
    heads = [
        (f"--{boundary}\r\nContent-Type: {blob.media_type}\r\n"
         f"Content-Range: bytes {first}-{last}/{blob.size}\r\n\r\n").encode("latin-1")
        for first, last in ranges
    ]  # fmt: skip
    tail = f"--{boundary}--\r\n".encode("latin-1")

    def parts() -> Iterator[bytes]:
        for head, (first, last) in zip(heads, ranges):
            yield head
            yield from read_range(blob, first, last)
            yield b"\r\n"
        yield tail

    return parts()
