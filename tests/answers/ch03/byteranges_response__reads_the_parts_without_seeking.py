"""Reads the parts one after the other from one reader without seeking: each part gets the bytes that
follow the previous one."""

from collections.abc import Iterator

from starlette.responses import Response, StreamingResponse

from course_lib.support.ch03 import Blob

EXERCISE = "3.3"
CASE = "sends_one_part_per_range"
MESSAGE = [
    "✗ 3.3 byteranges_response: ranges 0-9, 100-104: part 2 holds the wrong bytes.",
    "  expected: bytes 100-104 (5 bytes)",
    "  got:      5 bytes, not those",
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
    length = sum(len(head) + (last - first + 1) + 2 for head, (first, last) in zip(heads, ranges)) + len(tail)

    def parts() -> Iterator[bytes]:
        with blob.open() as reader:
            for head, (first, last) in zip(heads, ranges):
                yield head
                yield reader.read(last - first + 1)
                yield b"\r\n"
        yield tail

    return StreamingResponse(
        parts(),
        status_code=206,
        headers={"Content-Length": str(length)},
        media_type=f"multipart/byteranges; boundary={boundary}",
    )
