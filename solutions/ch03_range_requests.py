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
    int_range = re.compile(r"([0-9]+)-([0-9]*)")  # first-pos "-" [ last-pos ]: ASCII digits only
    suffix_range = re.compile(r"-([0-9]+)")  # "-" suffix-length
    token = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a range unit (RFC 9110 §5.6.2)

    def number(digits: str) -> int:
        """An ASCII digit string as an int; absurdly long ones (hostile headers) as a number bigger than any file."""
        digits = digits.lstrip("0") or "0"
        return int(digits) if len(digits) <= 30 else 10**30

    def covered_three_times(ranges: list[tuple[int, int]]) -> bool:
        """Whether some byte lies in three or more of `ranges`."""
        events = sorted([(first, 1) for first, _ in ranges] + [(last + 1, -1) for _, last in ranges],
                        key=lambda e: (e[0], e[1]))  # fmt: skip
        depth = 0
        for _, step in events:
            depth += step
            if depth >= 3:
                return True
        return False

    def coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Merge ranges that overlap or touch; each merged range takes the place of its earliest member."""
        merged: list[tuple[int, int]] = []
        for first, last in ranges:
            touching = [i for i, (f, l) in enumerate(merged) if f <= last + 1 and first <= l + 1]
            if not touching:
                merged.append((first, last))
                continue
            first = min([first] + [merged[i][0] for i in touching])
            last = max([last] + [merged[i][1] for i in touching])
            merged[touching[0]] = (first, last)
            for i in reversed(touching[1:]):
                del merged[i]
        return merged

    if header is None:
        return RangeResult("ignore", [])
    unit, equals, range_set = header.strip().partition("=")
    if not equals or not token.fullmatch(unit) or unit.lower() != "bytes":
        return RangeResult("ignore", [])
    specs = [part.strip(" \t") for part in range_set.split(",")]
    specs = [spec for spec in specs if spec]
    if not specs or len(specs) > MAX_RANGES:
        return RangeResult("ignore", [])

    wanted: list[tuple[int, int]] = []
    suffix_on_empty = False
    for spec in specs:
        if match := int_range.fullmatch(spec):
            first = number(match[1])
            last = number(match[2]) if match[2] else None
            if last is not None and last < first:
                return RangeResult("ignore", [])  # invalid range-spec: the whole header is invalid
            if first < size:
                wanted.append((first, size - 1 if last is None else min(last, size - 1)))
        elif match := suffix_range.fullmatch(spec):
            length = number(match[1])
            if length > 0 and size > 0:
                wanted.append((max(size - length, 0), size - 1))
            elif length > 0:
                suffix_on_empty = True
        else:
            return RangeResult("ignore", [])
    if suffix_on_empty and not wanted:
        return RangeResult("ignore", [])
    if not wanted:
        return RangeResult("unsatisfiable", [])
    if covered_three_times(wanted):
        return RangeResult("ignore", [])
    if len(wanted) > MAX_UNSORTED and wanted != sorted(wanted):
        return RangeResult("ignore", [])
    return RangeResult("ranges", coalesce(wanted))


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
    return StreamingResponse(read_range(blob, first, last), status_code=status, headers=headers,
                             media_type=blob.media_type)  # fmt: skip


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
        media_type=f"multipart/byteranges; boundary={boundary}",
    )


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

    class Restart(Exception):
        """The partial file cannot be continued: start again from byte 0."""

    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    validator_file = dest.with_name(dest.name + ".part.validator")
    failures = 0
    with httpx.Client(timeout=10.0) as client:
        while True:
            have = part.stat().st_size if part.exists() else 0
            validator = validator_file.read_text() if validator_file.exists() else None
            headers = {}
            if have and validator:
                headers = {"Range": f"bytes={have}-", "If-Range": validator}
            progressed = False
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416:
                        raise Restart()
                    response.raise_for_status()
                    if response.status_code == 206:
                        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", response.headers.get("content-range", ""))
                        if not match or int(match[1]) != have:
                            raise Restart()
                        total = int(match[3]) if match[3] != "*" else None
                        mode = "ab"
                    else:
                        have = 0
                        length = response.headers.get("content-length")
                        total = int(length) if length and length.isdigit() else None
                        mode = "wb"
                    new_validator = response.headers.get("etag") or response.headers.get("last-modified")
                    if new_validator and not new_validator.startswith("W/"):
                        validator_file.write_text(new_validator)
                    else:
                        validator_file.unlink(missing_ok=True)
                    digest = sha256 or repr_digest(response)
                    with open(part, mode) as f:
                        for chunk in response.iter_bytes():
                            f.write(chunk)
                            have += len(chunk)
                            progressed = True
                            if on_progress is not None:
                                on_progress(have, total)
            except Restart:
                part.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                failures += 1
                if failures >= attempts:
                    raise ValueError(f"{url}: the server would not continue the partial download") from None
                continue
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code < 500:
                    raise
                failures = 0 if progressed else failures + 1
                if failures >= attempts:
                    raise
                time.sleep(backoff * 2 ** max(failures - 1, 0))
                continue
            got = file_sha256(part)
            if digest is not None and got != digest.lower():
                part.unlink(missing_ok=True)
                validator_file.unlink(missing_ok=True)
                raise ValueError(f"{url}: sha256 of the download is {got}, expected {digest.lower()}")
            os.replace(part, dest)
            validator_file.unlink(missing_ok=True)
            return got
