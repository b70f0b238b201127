"""Reads the whole blob from the database and slices the range out of it."""

import email.utils

from starlette.requests import Request
from starlette.responses import Response

from course_lib.support.ch03 import Blob, RangeResult
# the other exercises of the file, done as the solutions do them
from solutions.ch03_range_requests import byteranges_response, parse_range

EXERCISE = "3.2"
CASE = "sends_206_for_a_single_range"
MESSAGE = [
    "✗ 3.2 send_blob: GET with Range: bytes=0-99 read bytes outside the range from the database.",
    "  expected: reads inside bytes 0-99 only",
    "  got:      a read of bytes 0-4095",
]


def send_blob(request: Request, blob: Blob) -> Response:
    def if_range_matches(value: str, blob: Blob) -> bool:
        """If-Range (§13.1.5): a strong ETag equal to the blob's, or exactly its Last-Modified date."""
        value = value.strip()
        if value.startswith("W/"):
            return False  # a weak entity tag never matches
        if value.startswith('"'):
            return value == blob.etag
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return False
        return when.tzinfo is not None and int(when.timestamp()) == blob.last_modified

    headers = {
        "Accept-Ranges": "bytes",
        "ETag": blob.etag,
        "Last-Modified": blob.last_modified_http,
    }
    head = request.method == "HEAD"
    result = RangeResult("ignore", [])
    if request.method == "GET":  # the only method for which range handling is defined (RFC 9110 §14.2)
        if_range = request.headers.get("if-range")
        if if_range is None or if_range_matches(if_range, blob):
            result = parse_range(request.headers.get("range"), blob.size)
    if result.kind == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{blob.size}"
        return Response(b"", status_code=416, headers=headers, media_type=blob.media_type)
    if result.kind == "ranges" and len(result.ranges) > 1:
        response = byteranges_response(blob, result.ranges)
        for name, value in headers.items():
            response.headers[name] = value
        if head:
            return Response(b"", status_code=206, headers=dict(response.headers))
        return response
    first, last, status = 0, blob.size - 1, 200
    if result.kind == "ranges":
        (first, last), status = result.ranges[0], 206
        headers["Content-Range"] = f"bytes {first}-{last}/{blob.size}"
    headers["Content-Length"] = str(last - first + 1)
    if head or blob.size == 0:
        return Response(b"", status_code=status, headers=headers, media_type=blob.media_type)
    with blob.open() as reader:
        data = reader.read()
    return Response(data[first : last + 1], status_code=status, headers=headers, media_type=blob.media_type)
