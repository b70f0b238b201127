"""Builds the whole body in memory and sends it as one Response."""

from collections.abc import Iterator

from starlette.responses import Response

from course_lib.support.ch03 import Blob, read_range

EXERCISE = "3.3"
CASE = "keeps_memory_flat"
MESSAGE = [
    "✗ 3.3 byteranges_response: ranges 0-3145727, 4194304-7340031 of 8 MiB took more than 3 MiB of memory at its peak.\n",
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
        for head, (first, last) in zip(heads, ranges):
            yield head
            yield from read_range(blob, first, last)
            yield b"\r\n"
        yield tail

    return Response(
        b"".join(parts()),
        status_code=206,
        headers={"Content-Length": str(length)},
        media_type=f"multipart/byteranges; boundary={boundary}",
    )
