"""Sends no Content-Length (allowed), but reads each part with a single read of at most CHUNK_SIZE bytes:
parts over 256 KiB are cut short."""

from collections.abc import Iterator

from starlette.responses import Response, StreamingResponse

from course_lib.support.ch03 import CHUNK_SIZE, Blob

EXERCISE = "3.3"
CASE = "keeps_memory_flat"
MESSAGE = [
    "✗ 3.3 byteranges_response: ranges 0-3145727, 4194304-7340031 of 8 MiB: the body had only",
    "  expected: over 6 MiB",
    "send every byte of every range",
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
            with blob.open() as reader:
                reader.seek(first)
                yield reader.read(min(CHUNK_SIZE, last - first + 1))
            yield b"\r\n"
        yield tail

    return StreamingResponse(
        parts(),
        status_code=206,
        media_type=f"multipart/byteranges; boundary={boundary}",
    )
