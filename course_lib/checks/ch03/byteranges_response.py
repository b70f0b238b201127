"""Exercise 3.3 byteranges_response: several ranges of a blob in one multipart/byteranges 206, served by a
real server and read back by the email package's multipart parser."""

from __future__ import annotations

import email.policy
import re
from email.parser import BytesParser
from typing import Any

import httpx

from .._case import Failure, case
from .._tools import MiB, peak_memory, sample_bytes, size
from ._blobs import OCTETS, Reads, SpyBlob, make_blobs
from ._serving import BIG, SMALL, after_request, broke_off, expect_flat, expect_reads_inside, serve_blobs, stream_digest

#: The ranges asked for at /blob/<n>: two and three ranges of the 4096 byte blob, then 6 MiB of the 8 MiB one.
ASKED = {1: [(0, 9), (100, 104)], 2: [(3000, 3099), (0, 49), (1000, 1000)],
         3: [(0, 3 * MiB - 1), (4 * MiB, 7 * MiB - 1)]}  # fmt: skip


def ranges_server(byteranges_response, ctx) -> dict[str, Any]:
    """byteranges_response(blob, ASKED[n]) served at /blob/<n>, set up once per check."""
    if "server" not in ctx.found:
        data, big_data = sample_bytes(SMALL, seed=5), sample_bytes(BIG, seed=6)
        small, big = make_blobs(ctx.folder, [("small.bin", data, OCTETS), ("big.bin", big_data, "video/webm")])
        blob_for = {1: small, 2: small, 3: big}
        seen: dict[str, Any] = {}

        def call(request, n):
            return byteranges_response(blob_for[n], list(ASKED[n]))

        server = serve_blobs(ctx, call, "byteranges_response", seen)
        ctx.found.update(server=server, seen=seen, small=small, big=big, data=data, big_data=big_data)
    return ctx.found


def fetch_small(byteranges_response, ctx) -> list[tuple[str, list[tuple[int, int]], Any, Reads]]:
    """The answers for /blob/1 and /blob/2: (the ranges in words, the ranges, the response or the
    RemoteProtocolError that cut it short, the reads it made), fetched once per check."""
    if "small answers" not in ctx.found:
        found = ranges_server(byteranges_response, ctx)
        small: SpyBlob = found["small"]
        answers = []
        for n in (1, 2):
            small.reads.clear()
            try:
                response: Any = found["server"].client.get(f"/blob/{n}")
            except httpx.RemoteProtocolError as exc:
                response = exc
            after_request(found["seen"], "byteranges_response")
            what = "ranges " + ", ".join(f"{first}-{last}" for first, last in ASKED[n])
            answers.append((what, ASKED[n], response, Reads(small.reads.opened, list(small.reads.spans))))
        ctx.found["small answers"] = answers
    return ctx.found["small answers"]


def parse_multipart(response: httpx.Response, what: str) -> list[Any]:
    """The parts of a multipart/byteranges body, as the email package reads them."""
    content_type = response.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/byteranges"):
        raise Failure(
            f"{what} answered with Content-Type {content_type or '(none)'!r}.",
            expected="Content-Type: multipart/byteranges; boundary=<boundary>",
            got=content_type or "no Content-Type header",
            next="set media_type=f'multipart/byteranges; boundary={boundary}'",
        )
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise Failure(
            f"{what} names no boundary in its Content-Type.",
            expected="Content-Type: multipart/byteranges; boundary=<boundary>",
            got=content_type,
            next="add the boundary parameter: the parser needs it to find the parts",
        )
    body = response.content
    if not body.rstrip(b"\r\n").endswith(f"--{match[1]}--".encode()):
        raise Failure(
            f"{what} does not end with the closing delimiter.",
            expected="the body ending with --{boundary}--",
            got=f"...{body[-24:]!r}",
            next="after the last part send b'--' + boundary + b'--\\r\\n'",
        )
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    return list(message.iter_parts()) if message.is_multipart() else []


def expect_parts(parts: list[Any], ranges: list[tuple[int, int]], blob: SpyBlob, data: bytes, what: str) -> None:
    """Fail on the first part whose Content-Range, Content-Type or bytes are not those of its range."""
    for number, ((first, last), part) in enumerate(zip(ranges, parts), start=1):
        want_range = f"bytes {first}-{last}/{blob.size}"
        if part.get("content-range") != want_range:
            raise Failure(
                f"{what}: part {number} has the wrong Content-Range.",
                expected=f"Content-Range: {want_range}",
                got=f"Content-Range: {part.get('content-range')}" if part.get("content-range") else "none",
                next="one Content-Range per part, in the order of the ranges given, last included",
            )
        if part.get("content-type") != blob.media_type:
            raise Failure(
                f"{what}: part {number} has the wrong Content-Type.",
                expected=f"Content-Type: {blob.media_type}",
                got=f"Content-Type: {part.get('content-type')}" if part.get("content-type") else "none",
                next="each part carries the blob's own media type (blob.media_type)",
            )
        payload = part.get_payload(decode=True) or b""
        if payload != data[first : last + 1]:
            raise Failure(
                f"{what}: part {number} holds the wrong bytes.",
                expected=f"bytes {first}-{last} ({last - first + 1} bytes)",
                got=f"{len(payload)} bytes" + (", not those" if len(payload) == last - first + 1 else ""),
                next="read_range(blob, first, last) for each part; then b'\\r\\n' before the next delimiter",
            )


@case("3.3")
def sends_one_part_per_range(byteranges_response, ctx):
    """A body cut short is the next case's to report; every whole one must parse into the parts asked for."""
    for what, ranges, response, _ in fetch_small(byteranges_response, ctx):
        if not isinstance(response, httpx.Response):
            continue
        if response.status_code != 206:
            raise Failure(f"{what} answered {response.status_code}.", expected="206 Partial Content",
                          got=f"{response.status_code}", next="pass status_code=206")  # fmt: skip
        parts = parse_multipart(response, what)
        if len(parts) != len(ranges):
            raise Failure(
                f"{what}: a multipart parser found {len(parts)} parts.",
                expected=f"{len(ranges)} parts, one per range",
                got=f"{len(parts)} parts",
                next="each part starts on a new line: CRLF after the data, then --boundary",
            )
        expect_parts(parts, ranges, ctx.found["small"], ctx.found["data"], what)
    return (
        "parts parsed by the email package with the right Content-Type, Content-Range and bytes, in the order "
        "asked"
    )


@case("3.3")
def sends_exactly_content_length_bytes(byteranges_response, ctx):
    """httpx reads exactly Content-Length bytes or raises: a body longer or shorter than it said breaks off."""
    for what, _, response, _ in fetch_small(byteranges_response, ctx):
        if isinstance(response, httpx.RemoteProtocolError):
            raise broke_off(what, response)
    return "Content-Length exact"


@case("3.3")
def reads_only_inside_the_ranges(byteranges_response, ctx):
    for what, ranges, _, reads in fetch_small(byteranges_response, ctx):
        expect_reads_inside(reads, ranges, what)
    return "reads inside the ranges"


@case("3.3")
def keeps_memory_flat(byteranges_response, ctx):
    found, ranges, bound = ranges_server(byteranges_response, ctx), ASKED[3], 3 * MiB
    what = f"ranges 0-{3 * MiB - 1}, {4 * MiB}-{7 * MiB - 1} of {size(BIG)}"
    found["big"].reads.clear()
    with peak_memory() as peak:
        _, _, n = stream_digest(found["server"], "/blob/3", {}, what)
    after_request(found["seen"], "byteranges_response")
    expect_flat(peak[0], bound, what)
    expect_reads_inside(found["big"].reads, ranges, what)
    if n < 6 * MiB:
        raise Failure(f"{what}: the body had only {n} bytes.", expected="over 6 MiB",
                      got=f"{n} bytes", next="send every byte of every range")  # fmt: skip
    return f"{size(6 * MiB)} of parts under {size(bound)} of memory."
