"""Sends every blob whole, with the right headers, whatever the Range header asks for."""

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from course_lib.support.ch03 import Blob, read_range

EXERCISE = "3.2"
CASE = "sends_206_for_a_single_range"
MESSAGE = [
    "✗ 3.2 send_blob: GET with Range: bytes=0-99 answered 200 with the whole blob.",
    "  expected: 206 Partial Content, Content-Range: bytes 0-99/4096, 100 bytes",
    "  got:      200, 4096 bytes",
    "  next: you sent 200 where a 206 was due: use parse_range() and answer 206 with the part; hint(\"3.2\") gives a hint",
]


def send_blob(request: Request, blob: Blob) -> Response:
    headers = {"Accept-Ranges": "bytes", "ETag": blob.etag, "Last-Modified": blob.last_modified_http,
               "Content-Length": str(blob.size)}  # fmt: skip
    return StreamingResponse(read_range(blob, 0, blob.size - 1), headers=headers, media_type=blob.media_type)
