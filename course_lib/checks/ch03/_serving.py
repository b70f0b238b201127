"""What 3.2 and 3.3 share: the learner's function mounted on a real server, the failures any request can
end in (an unwritten prerequisite, no Response, a body cut short), and the measures of reads and memory."""

from __future__ import annotations

import hashlib
import inspect
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..._answers import learner_frame
from .._case import Failure
from .._tools import MiB, size
from ._blobs import Reads

BIG = 8 * MiB
SMALL = 4096
PREREQUISITES = {"parse_range": "3.1", "byteranges_response": "3.3", "send_blob": "3.2"}


def serve_blobs(ctx, call: Any, name: str, seen: dict[str, Any]):
    """Serve `call(request, blob_id)` (the learner's function applied) at /blob/{id} for GET, HEAD and POST.

    A NotImplementedError from another exercise's stub (send_blob calling an unwritten parse_range) is
    noted in `seen` instead of being reported as this exercise's own stub.
    """

    async def endpoint(request):
        blob_id = int(request.path_params["blob_id"])
        try:
            response = await run_in_threadpool(call, request, blob_id)
            if inspect.isawaitable(response):
                response = await response
        except NotImplementedError as exc:
            frame = learner_frame(exc)
            if frame is not None and frame.name != name and frame.name in PREREQUISITES:
                seen["prerequisite"] = frame.name
                return PlainTextResponse("prerequisite missing", status_code=500)
            raise
        if not isinstance(response, Response):
            seen["returned"] = type(response).__name__
            return PlainTextResponse("not a Response", status_code=500)
        return response

    routes = Starlette(routes=[Route("/blob/{blob_id:int}", endpoint, methods=["GET", "HEAD", "POST"])])

    async def app(scope, receive, send) -> None:
        try:
            await routes(scope, receive, send)
        finally:
            if scope["type"] == "http":
                seen["finished"] = seen.get("finished", 0) + 1

    return ctx.serve(app)


def wait_for_the_server(seen: dict[str, Any], requests: int, limit: float = 2.0) -> None:
    """Wait (up to `limit` seconds) until the server has finished `requests` requests: the answer to a HEAD
    reaches the client before the server is through with a body it streams (and drops)."""
    deadline = time.monotonic() + limit
    while seen.get("finished", 0) < requests and time.monotonic() < deadline:
        time.sleep(0.005)


def after_request(seen: dict[str, Any], name: str) -> None:
    """Fail if the request just made found a prerequisite unwritten or got something other than a Response."""
    if "prerequisite" in seen:
        needed = seen["prerequisite"]
        raise Failure(
            f"{name} calls {needed}, which is not written yet.",
            expected=f"exercise {PREREQUISITES[needed]} done first",
            got=f"NotImplementedError from {needed}",
            next=f'finish {needed} and check("{PREREQUISITES[needed]}")',
        )
    if "returned" in seen:
        raise Failure(
            f"{name} returned a {seen['returned']}, not a Response.",
            expected="a Starlette/FastAPI Response (StreamingResponse for a body read in chunks)",
            got=seen["returned"],
            next="return the Response you built",
        )


def broke_off(what: str, exc: BaseException) -> Failure:
    return Failure(
        f"{what}: the connection broke off mid-body.",
        expected="a body of exactly Content-Length bytes",
        got=f"{type(exc).__name__}: the server sent more or fewer bytes than its Content-Length said",
        next="count every byte you send: the part heads, the data, each CRLF and the closing delimiter",
    )


def expect_reads_inside(reads: Reads, allowed: list[tuple[int, int]], what: str) -> None:
    """Fail on the first of `reads` outside the `allowed` inclusive ranges."""
    outside = reads.outside(allowed)
    if outside is not None:
        spans = ", ".join(f"{first}-{last}" for first, last in allowed)
        raise Failure(
            f"{what} read bytes outside the range from the database.",
            expected=f"reads inside bytes {spans} only",
            got=f"a read of bytes {outside[0]}-{outside[1]}",
            next="seek to first and read at most the bytes left in the range, in chunks (read_range does)",
        )


def expect_flat(peak: int, bound: int, what: str) -> None:
    if peak > bound:
        raise Failure(
            f"{what} took more than {size(bound)} of memory at its peak.",
            expected=f"under {size(bound)}: the body read and sent a chunk at a time",
            got="more: the range was read (or built) at once",
            next="return a StreamingResponse over read_range(blob, first, last), which reads 256 KiB at a time",
        )


def stream_digest(server, path: str, headers: dict[str, str], what: str) -> tuple[int, str, int]:
    """(status, sha256 of the body, body length), read a chunk at a time and dropped."""
    digest, n = hashlib.sha256(), 0
    try:
        with server.client.stream("GET", path, headers=headers) as response:
            for chunk in response.iter_raw():
                digest.update(chunk)
                n += len(chunk)
            return response.status_code, digest.hexdigest(), n
    except httpx.RemoteProtocolError as exc:
        raise broke_off(what, exc) from None
