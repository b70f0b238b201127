"""Sends Content-Type: multipart/byteranges without its boundary parameter."""

from collections.abc import Iterator

from starlette.responses import Response, StreamingResponse

from course_lib.support.ch03 import Blob, read_range

EXERCISE = "3.3"
CASE = "sends_one_part_per_range"
MESSAGE = ["✗ 3.3 byteranges_response: ranges 0-9, 100-104 names no boundary in its Content-Type.\n"]


def byteranges_response(blob: Blob, ranges: list[tuple[int, int]]) -> Response:
    import secrets

    boundary = secrets.token_hex(16)
    heads = [
        (f"--{boundary}\r\nContent-Type: {blob.media_type}\r\n"
         f"Content-Range: bytes {first}-{last}/{blob.size}\r\n\r\n").encode("latin-1")
        for first, last in ranges
    ]  # fmt: skip
    tail = f"--{boundary}--\r\n".encode("latin-1")
    length = sum(len(head) + (last - first + 1) + 2 for head, (first, last) in zip(heads, ranges)) + len(tail)

    def parts() -> Iterator[bytes]:
        for head, (first, last) in zip(heads, ranges):
            yield head
            yield from read_range(blob, first, last)
            yield b"\r\n"
        yield tail

    return StreamingResponse(
        parts(),
        status_code=206,
        headers={"Content-Length": str(length)},
        media_type="multipart/byteranges",
    )
