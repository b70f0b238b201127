"""Chapter 3 — Range requests: serving part of a file, several parts at once, and resuming a download.

Each function below is an exercise of notebooks/03_range_requests.ipynb; check one with
check("3.1") in the notebook or `.venv/bin/python -m course_lib check 3.1` in a terminal.

The rules come from RFC 9110: §14.1 (range units, `Range: bytes=...`), §14.2 (Range), §14.4
(Content-Range), §13.1.5 (If-Range), §15.3.7 (206 Partial Content) and §15.5.17 (416).
Ranges are inclusive pairs (first, last), as on the wire: `bytes=0-99` is the first 100 bytes.
"""

import email.utils
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from course_lib.support.ch03 import (
    CHUNK_SIZE,
    MAX_RANGES,
    MAX_UNSORTED,
    Blob,
    RangeResult,
    file_sha256,
    load_blob,
    make_blobs_db,
    read_range,
    repr_digest,
)


# -- 3.1 ------------------------------------------------------------------------------------------------


def parse_range(header: str | None, size: int) -> RangeResult:
    """Read a Range header for a representation of `size` bytes, as RFC 9110 §14.1-14.2 says.

    Returns RangeResult(kind, ranges) (see RangeResult); for size = 10000:
        "bytes=0-99"            -> ("ranges", [(0, 99)])
        "bytes=9500-"           -> ("ranges", [(9500, 9999)])          open-ended: to the end
        "bytes=-500"            -> ("ranges", [(9500, 9999)])          suffix: the last 500 bytes
        "bytes=9000-20000"      -> ("ranges", [(9000, 9999)])          last-pos past the end is clamped
        "bytes=500-599,0-99"    -> ("ranges", [(500, 599), (0, 99)])   request order kept
        "bytes=0-99,50-199"     -> ("ranges", [(0, 199)])              overlapping or adjacent: coalesced
        "bytes=0-9,20000-"      -> ("ranges", [(0, 9)])                unsatisfiable parts are dropped
        "bytes=20000-"          -> ("unsatisfiable", [])               no part overlaps the file -> 416
        "bytes=-0"              -> ("unsatisfiable", [])
        "items=0-5", None, ""   -> ("ignore", [])                      unknown unit / no header: MUST ignore
        "bytes=5-4", "bytes=a-" -> ("ignore", [])                      invalid: we choose to ignore (200)
    Syntax: the unit is matched case-insensitively; a range-spec is DIGITs "-" [DIGITs] or "-" DIGITs,
    nothing else (no spaces, signs or '_' inside); spaces around commas and empty list elements are fine.
    One invalid range-spec makes the whole header invalid.
    Denial-of-service guards (§14.2 allows ignoring them), all answered with ("ignore", []):
    more than MAX_RANGES range-specs; a byte asked for by three or more ranges; more than MAX_UNSORTED
    ranges not in ascending order.
    Empty representation (size 0): "bytes=0-" and "bytes=-0" are unsatisfiable; "bytes=-5" is
    satisfiable (§14.1.2: a non-zero suffix is the one satisfiable form) but 206 cannot express zero
    bytes, so it is ("ignore", []): the whole, empty representation with 200.
    """
    # TODO: decide what the Range header asks of a `size` byte representation, as a RangeResult.
    # parse_range("bytes=-500", 10000) -> ("ranges", [(9500, 9999)])
    raise NotImplementedError


# -- 3.2 ------------------------------------------------------------------------------------------------


def send_blob(request: Request, blob: Blob) -> Response:
    """Answer a GET or HEAD for `blob`, sending only the part a Range header asks for.

    Mounted by the check as an endpoint that calls send_blob(request, blob).  For a 4096 byte blob:
        GET, no Range        -> 200, Content-Length: 4096, the whole blob
        Range: bytes=0-99    -> 206, Content-Range: bytes 0-99/4096, Content-Length: 100
        Range: bytes=5000-   -> 416, Content-Range: bytes */4096, no body
        Range with 2+ ranges -> byteranges_response(blob, ranges) (exercise 3.3)
    Every answer carries Accept-Ranges: bytes, ETag: blob.etag, Last-Modified: blob.last_modified_http
    and Content-Type: blob.media_type.
    If-Range: the Range applies only if its value is blob.etag or the Last-Modified date; anything else
    (a weak W/"..." tag, another tag or date) -> 200 with the whole blob.
    Only GET applies Range (§14.2): a HEAD or a POST with Range gets the same as without.  HEAD gets the
    headers a GET without Range would get, with no body.  No more of the blob is read than the range sent.
    """
    # TODO: answer 200, 206 or 416 for `blob`, as its Range and If-Range headers ask.
    # Range: bytes=0-99 on 4096 bytes -> 206, Content-Range: bytes 0-99/4096, the first 100 bytes
    raise NotImplementedError


# -- 3.3 ------------------------------------------------------------------------------------------------


def byteranges_response(blob: Blob, ranges: list[tuple[int, int]]) -> Response:
    """A 206 whose body holds each of `ranges` (inclusive pairs, in this order) as a multipart/byteranges part.

    For a 4096 byte application/octet-stream blob and ranges [(0, 9), (100, 104)]:
        206, Content-Type: multipart/byteranges; boundary=3d6b6a416f9b5
             Content-Length: <the exact length of the body below>

        --3d6b6a416f9b5\\r\\n
        Content-Type: application/octet-stream\\r\\n
        Content-Range: bytes 0-9/4096\\r\\n
        \\r\\n
        <bytes 0-9>\\r\\n
        --3d6b6a416f9b5\\r\\n
        Content-Type: application/octet-stream\\r\\n
        Content-Range: bytes 100-104/4096\\r\\n
        \\r\\n
        <bytes 100-104>\\r\\n
        --3d6b6a416f9b5--\\r\\n
    The boundary is random (it must not occur in the data).  Each part's bytes are read only as they are sent.
    """
    # TODO: build the 206 whose multipart/byteranges body holds one part per range, in order.
    # [(0, 9), (100, 104)] of 4096 bytes -> 206, 2 parts: Content-Range: bytes 0-9/4096, then bytes 100-104/4096
    raise NotImplementedError


# -- 3.4 ------------------------------------------------------------------------------------------------


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    on_progress: Callable[[int, int | None], object] | None = None,
    attempts: int = 5,
    backoff: float = 0.5,
) -> str:
    """Download `url` to `dest`, resuming after a broken connection, and return the file's sha256 (hex).

    The bytes go to `<dest>.part`; the ETag (or else Last-Modified) they belong to is kept in
    `<dest>.part.validator`.  If both exist when download starts (or after a broken attempt), the next
    request asks only for the rest: `Range: bytes=<size of .part>-` and `If-Range: <validator>`.
      206 -> append the body to .part (its Content-Range must start where .part ends).
      200 -> the file changed (or the server ignores Range): empty .part, write the body from byte 0.
      416 -> .part is no use: delete it and start again without Range.
    A connection that breaks or times out, or a 5xx status, is retried after sleeping
    backoff, 2 * backoff, 4 * backoff, ... seconds; `attempts` failures in a row that brought no new
    byte end the download by raising the last error (httpx.TransportError or httpx.HTTPStatusError).
    Another 4xx status raises httpx.HTTPStatusError at once.
    When .part is complete it is checked against `sha256` (hex) if given, else against the server's
    `Repr-Digest: sha-256=:<base64>:` if it sent one; a mismatch deletes .part and raises ValueError.
    Then .part is renamed to `dest` in one step, so `dest` never holds a partial or corrupt file.
    on_progress(bytes in .part, total size or None) is called after every chunk written.
    """
    # TODO: download `url` to `dest`, carrying on where a broken attempt stopped; return the sha256.
    # The connection breaks at byte 300000 -> the next request asks for Range: bytes=300000-
    raise NotImplementedError
