"""Exercise 3.2 send_blob: the learner's function mounted on a real server, asked for two blobs over HTTP.

The blobs are the check's own (ch03/_blobs.py): their readers record every read, so "no more of the blob
is read than the range sent" is measured.
"""

from __future__ import annotations

import email.utils
import hashlib
from typing import Any

import httpx

from .._case import Failure, case
from .._tools import MiB, peak_memory, sample_bytes, size
from ._blobs import LAST_MODIFIED, OCTETS, SpyBlob, make_blobs
from ._serving import (BIG, SMALL, after_request, broke_off, expect_flat, expect_reads_inside, serve_blobs, stream_digest,
                       wait_for_the_server)  # fmt: skip

#: Range headers on the 4096 byte blob, and the part each one asks for.
SINGLE_RANGES = (("bytes=0-99", (0, 99)), ("bytes=-500", (3596, 4095)),
                 ("bytes=4000-9999", (4000, 4095)), ("bytes=1000-", (1000, 4095)))  # fmt: skip


def blob_server(send_blob, ctx) -> dict[str, Any]:
    """The check's blobs (4096 B and 8 MiB) served through send_blob at /blob/{id}, set up once per check."""
    if "server" not in ctx.found:
        data, big_data = sample_bytes(SMALL, seed=3), sample_bytes(BIG, seed=4)
        small, big = make_blobs(ctx.folder, [("small.bin", data, OCTETS), ("big.bin", big_data, OCTETS)])
        by_id = {blob.id: blob for blob in (small, big)}
        seen: dict[str, Any] = {}
        server = serve_blobs(ctx, lambda request, i: send_blob(request, by_id[i]), "send_blob", seen)
        ctx.found.update(server=server, seen=seen, small=small, big=big, data=data, big_data=big_data)
    return ctx.found


def fetch(send_blob, ctx, method: str = "GET", blob: str = "small", **headers: str) -> tuple[httpx.Response, str]:
    """The answer to `method` /blob/<id> with `headers` (if_range= is If-Range), and the request in words."""
    found = blob_server(send_blob, ctx)
    spy: SpyBlob = found[blob]
    headers = {k.replace("_", "-").title().replace("Etag", "ETag"): v for k, v in headers.items()}
    what = words(method, headers)
    spy.reads.clear()
    found["requests"] = found.get("requests", 0) + 1
    try:
        response = found["server"].client.request(method, f"/blob/{spy.id}", headers=headers)
    except httpx.RemoteProtocolError as exc:
        after_request(found["seen"], "send_blob")
        raise broke_off(what, exc) from None
    wait_for_the_server(found["seen"], found["requests"])
    after_request(found["seen"], "send_blob")
    return response, what


def words(method: str, headers: dict[str, str]) -> str:
    said = ", ".join(f"{k}: {v}" for k, v in headers.items())
    return f"{method} with {said}" if said else f"{method} without Range"


def describe(response: httpx.Response) -> str:
    parts = [f"{response.status_code}"]
    if "content-range" in response.headers:
        parts.append(f"Content-Range: {response.headers['content-range']}")
    parts.append(f"{len(response.content)} bytes")
    return ", ".join(parts)


def expected_206(first: int, last: int, total: int) -> str:
    return f"206 Partial Content, Content-Range: bytes {first}-{last}/{total}, {last - first + 1} bytes"


def expect_whole(response: httpx.Response, data: bytes, what: str, why: str) -> None:
    if response.status_code != 200 or response.content != data:
        raise Failure(
            f"{what} answered {describe(response)}.",
            expected=f"200 with the whole blob ({len(data)} bytes): {why}",
            got=describe(response),
            next=_next_for_whole(response),
        )


def _next_for_whole(response: httpx.Response) -> str:
    if response.status_code == 206:
        return "apply the Range only when it should be: a GET, and If-Range (if sent) matching"
    if response.status_code == 416:
        return "answer 416 only when parse_range says unsatisfiable"
    return "send the whole blob with status 200 when the Range is ignored"


def expect_part(response: httpx.Response, data: bytes, first: int, last: int, what: str) -> None:
    total = len(data)
    if response.status_code == 200:
        raise Failure(
            f"{what} answered 200 with {'the whole blob' if response.content == data else describe(response)}.",
            expected=expected_206(first, last, total),
            got=describe(response),
            next="you sent 200 where a 206 was due: use parse_range() and answer 206 with the part",
        )
    if response.status_code != 206:
        raise Failure(
            f"{what} answered {response.status_code}.",
            expected=expected_206(first, last, total),
            got=describe(response),
            next="a satisfiable range gets 206 Partial Content",
        )
    want_range, got_range = f"bytes {first}-{last}/{total}", response.headers.get("content-range")
    if got_range != want_range:
        raise Failure(
            f"{what} answered 206 with the wrong Content-Range.",
            expected=f"Content-Range: {want_range}",
            got=f"Content-Range: {got_range}" if got_range else "no Content-Range header",
            next="Content-Range is 'bytes first-last/size' with last included, the same numbers as the range",
        )
    expect_part_body(response, data, first, last, what)


def expect_part_body(response: httpx.Response, data: bytes, first: int, last: int, what: str) -> None:
    if response.content != data[first : last + 1]:
        raise Failure(
            f"{what} sent the wrong bytes.",
            expected=f"bytes {first}-{last} of the blob ({last - first + 1} bytes)",
            got=f"{len(response.content)} bytes" + (", not those" if len(response.content) == last - first + 1 else ""),
            next="seek to first and read last - first + 1 bytes (read_range(blob, first, last))",
        )
    if response.headers.get("content-length") != str(last - first + 1):
        raise Failure(
            f"{what} answered 206 with the wrong Content-Length.",
            expected=f"Content-Length: {last - first + 1}",
            got=f"Content-Length: {response.headers.get('content-length', '(none)')}",
            next="Content-Length is the length of the part, not of the blob",
        )


PROPER = {"accept-ranges": "Accept-Ranges", "etag": "ETag", "last-modified": "Last-Modified"}
WHERE_FROM = {"accept-ranges": "the literal bytes", "etag": "blob.etag", "last-modified": "blob.last_modified_http"}


def expect_headers(response: httpx.Response, blob: SpyBlob, what: str) -> None:
    wanted = {"accept-ranges": "bytes", "etag": blob.etag, "last-modified": blob.last_modified_http}
    for name, value in wanted.items():
        if response.headers.get(name) != value:
            proper = PROPER[name]
            raise Failure(
                f"{what} answered without the right {proper} header.",
                expected=f"{proper}: {value}",
                got=f"{proper}: {response.headers[name]}" if name in response.headers else f"no {proper} header",
                next=f"send {proper} on every answer ({WHERE_FROM[name]})",
            )


@case("3.2")
def sends_the_whole_blob_with_its_headers(send_blob, ctx):
    response, what = fetch(send_blob, ctx)
    expect_whole(response, ctx.found["data"], what, "no Range, no part")
    expect_headers(response, ctx.found["small"], what)
    if response.headers.get("content-length") != str(SMALL):
        raise Failure(
            f"{what} answered without Content-Length: {SMALL}.",
            expected=f"Content-Length: {SMALL}",
            got=f"Content-Length: {response.headers.get('content-length', '(none)')}",
            next="send Content-Length so a client knows the size before resuming",
        )
    return "200 with Accept-Ranges, ETag, Last-Modified, Content-Length"


@case("3.2")
def sends_206_for_a_single_range(send_blob, ctx):
    for header, (first, last) in SINGLE_RANGES:
        response, what = fetch(send_blob, ctx, range=header)
        expect_part(response, ctx.found["data"], first, last, what)
        expect_headers(response, ctx.found["small"], what)
        expect_reads_inside(ctx.found["small"].reads, [(first, last)], what)
    return f"206 for {len(SINGLE_RANGES)} ranges with the right Content-Range and bytes"


@case("3.2")
def answers_416_past_the_end(send_blob, ctx):
    response, what = fetch(send_blob, ctx, range="bytes=5000-")
    if response.status_code != 416 or response.headers.get("content-range") != f"bytes */{SMALL}":
        raise Failure(
            f"{what} answered {describe(response)}.",
            expected=f"416 Range Not Satisfiable, Content-Range: bytes */{SMALL}",
            got=describe(response),
            next="when parse_range says unsatisfiable, answer 416 with Content-Range: bytes */size",
        )
    return f"416 with bytes */{SMALL}"


@case("3.2")
def ignores_an_unknown_unit(send_blob, ctx):
    response, what = fetch(send_blob, ctx, range="items=0-5")
    expect_whole(response, ctx.found["data"], what, "an unknown range unit MUST be ignored (RFC 9110 §14.2)")
    return "unknown unit ignored"


@case("3.2")
def answers_head_without_reading(send_blob, ctx):
    response, what = fetch(send_blob, ctx, "HEAD")
    length = response.headers.get("content-length", "(none)")
    if response.status_code != 200 or length != str(SMALL):
        raise Failure(
            f"{what} answered {response.status_code}, Content-Length: {length}.",
            expected=f"200 and the headers a GET gets, Content-Length: {SMALL}",
            got=f"{response.status_code}, Content-Length: {length}",
            next="for HEAD return Response(b'', status_code=..., headers=...) with the GET's Content-Length",
        )
    small: SpyBlob = ctx.found["small"]
    expect_headers(response, small, what)
    if small.reads.spans:
        raise Failure(
            f"{what} read {sum(n for _, n in small.reads.spans)} bytes from the database for an answer with no body.",
            expected="no reads: HEAD sends the headers only",
            got=f"{len(small.reads.spans)} reads",
            next="for HEAD return Response(b'', ...) instead of streaming the blob",
        )
    return "HEAD without reading"


@case("3.2")
def ignores_range_on_head(send_blob, ctx):
    response, what = fetch(send_blob, ctx, "HEAD", range="bytes=0-99")
    if response.status_code != 200 or "content-range" in response.headers:
        raise Failure(
            f"{what} answered {describe(response)}.",
            expected=f"200 and the headers of a GET without Range, Content-Length: {SMALL}, no Content-Range",
            got=describe(response),
            next="apply Range to GET only: it is the one method range handling is defined for (RFC 9110 §14.2)",
        )


@case("3.2")
def honours_if_range(send_blob, ctx):
    small: SpyBlob = ctx.found["small"]
    if_ranges = [
        (small.etag, True, "the ETag matches"),
        ("W/" + small.etag, False, "a weak entity tag never matches (RFC 9110 §13.1.5)"),
        ('"another-version"', False, "another entity tag: the blob changed"),
        (small.last_modified_http, True, "the date equals Last-Modified"),
        (email.utils.formatdate(LAST_MODIFIED + 3600, usegmt=True), False, "another date"),
        ("yesterday", False, "not a date: no match"),
    ]
    for if_range, applies, why in if_ranges:
        response, what = fetch(send_blob, ctx, range="bytes=0-99", if_range=if_range)
        if applies:
            expect_part(response, ctx.found["data"], 0, 99, what)
        else:
            expect_whole(response, ctx.found["data"], what, f"If-Range does not match: {why}")
    return "If-Range by ETag and date (weak never)"


@case("3.2")
def ignores_range_on_post(send_blob, ctx):
    response, what = fetch(send_blob, ctx, "POST", range="bytes=0-99")
    expect_whole(response, ctx.found["data"], what, "only GET applies Range (RFC 9110 §14.2)")
    return "POST ignores Range"


@case("3.2")
def reads_only_inside_the_range(send_blob, ctx):
    first, last = 1000, 2999
    response, what = fetch(send_blob, ctx, blob="big", range=f"bytes={first}-{last}")
    expect_part(response, ctx.found["big_data"], first, last, what)
    expect_reads_inside(ctx.found["big"].reads, [(first, last)], what)
    return "reads inside the range"


@case("3.2")
def keeps_memory_flat(send_blob, ctx):
    """8 MiB, whole and nearly whole, streamed through under 3 MiB of memory, with the right bytes."""
    found, bound = blob_server(send_blob, ctx), 3 * MiB
    big: SpyBlob = found["big"]
    for first, last, headers in ((0, BIG - 1, {}), (1000, BIG - 1001, {"Range": f"bytes=1000-{BIG - 1001}"})):
        what = words("GET", headers) + f" on {size(BIG)}"
        big.reads.clear()
        found["requests"] = found.get("requests", 0) + 1
        with peak_memory() as peak:
            status, digest, n = stream_digest(found["server"], f"/blob/{big.id}", headers, what)
        after_request(found["seen"], "send_blob")
        expect_flat(peak[0], bound, what)
        if digest != hashlib.sha256(found["big_data"][first : last + 1]).hexdigest() or status != (206 if headers else 200):
            raise Failure(
                f"{what} answered {status} with the wrong {n} bytes.",
                expected=expected_206(first, last, BIG) if headers else f"200 with {BIG} bytes",
                got=f"{status}, {n} bytes",
                next="stream exactly the bytes of the range",
            )
        expect_reads_inside(big.reads, [(first, last)], what)
    return f"{size(BIG)} under {size(bound)} of memory."
