"""Reads exactly the range, but in one read: 8 MiB of blob is 8 MiB of memory."""

import email.utils

from starlette.requests import Request
from starlette.responses import Response

from course_lib.support.ch03 import Blob, RangeResult
# the other exercises of the file, done as the solutions do them
from solutions.ch03_range_requests import byteranges_response, parse_range

EXERCISE = "3.2"
CASE = "keeps_memory_flat"
MESSAGE = [
    "✗ 3.2 send_blob: GET without Range on 8 MiB took more than 3 MiB of memory at its peak.",
    "  expected: under 3 MiB: the body read and sent a chunk at a time",
    "  got:      more: the range was read (or built) at once",
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
        reader.seek(first)
        data = reader.read(last - first + 1)
    return Response(data, status_code=status, headers=headers, media_type=blob.media_type)
