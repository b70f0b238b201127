"""Exercise 2.6 receive_upload: a PUT body written to disk piece by piece as it arrives, never held whole."""

from __future__ import annotations

import hashlib
import socket
import threading
import time

from fastapi import FastAPI
from starlette.requests import ClientDisconnect

from ...support.ch02 import UploadStore
from .._case import Failure, case
from .._endpoints import PAUSE, find_dependency, hiding
from .._tools import KiB, MiB, peak_memory, sample_bytes, size

PIECE = 64 * KiB


def upload_server(ctx, receive_upload, max_bytes: int = 16 * MiB):
    """receive_upload at PUT /uploads/{name}, writing into a store of the check's own: (server, store)."""
    if "server" not in ctx.found:
        depends_on = find_dependency(receive_upload, "upload_store", "receive_upload",
                                     "store: UploadStore = Depends(upload_store)")  # fmt: skip
        store = UploadStore(ctx.folder / "uploads", max_bytes)
        app = FastAPI()
        app.put("/uploads/{name}")(receive_upload)
        app.dependency_overrides[depends_on] = lambda: store
        # A client that leaves makes request.stream() raise ClientDisconnect in the answer: expected, not a fault.
        ctx.found["server"] = (ctx.serve(hiding(app, ClientDisconnect)), store)
    return ctx.found["server"]


def leftovers(store: UploadStore, keep: set[str] = frozenset()) -> list[str]:
    """Files in the store's folder other than the completed uploads in `keep`."""
    if not store.folder.exists():
        return []
    return sorted(p.name for p in store.folder.iterdir() if p.name not in keep)


def pieces(data: bytes, gate: threading.Event | None = None):
    """`data` as an upload body in 64 KiB pieces; with `gate`, it stops halfway until the gate opens."""
    view = memoryview(data)
    for start in range(0, len(data), PIECE):
        if gate is not None and start == len(data) // 2:
            gate.wait(PAUSE + 1)
        yield bytes(view[start : start + PIECE])


@case("2.6")
def keeps_the_body_and_answers_201(receive_upload, ctx):
    server, store = upload_server(ctx, receive_upload)
    data = sample_bytes(3 * MiB + 5)
    response = server.client.put("/uploads/report.bin", content=pieces(data))
    want = {"name": "report.bin", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    got = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    if response.status_code != 201 or got != want:
        raise Failure(
            "an upload of 3 MiB + 5 B did not get the answer a created file gets.",
            expected=f"201 {want}",
            got=f"{response.status_code} {got if got is not None else response.text[:120]!r}",
            next='return JSONResponse({"name": ..., "bytes": ..., "sha256": ...}, status_code=201)',
        )
    kept = store.path("report.bin")
    if not kept.exists() or kept.read_bytes() != data:
        raise Failure(
            "the upload was answered 201, but store.path(name) does not hold its bytes.",
            expected=f"{kept.name} holding the {len(data)} bytes sent",
            got=f"{kept.stat().st_size} bytes, not the same" if kept.exists() else "no such file",
            next="write every piece of request.stream(), in order, then give the file its name",
        )
    return "3 MiB + 5 B kept under its name, 201 with its size and SHA-256"


@case("2.6")
def writes_each_piece_as_it_arrives(receive_upload, ctx):
    """Half the body sent, the client waits: by then the first half must be on disk, under a partial name."""
    server, store = upload_server(ctx, receive_upload)
    data, gate, done = sample_bytes(4 * MiB, seed=2), threading.Event(), {}
    sender = threading.Thread(target=lambda: done.update(r=server.client.put("/uploads/halfway.bin",
                              content=pieces(data, gate))), daemon=True)  # fmt: skip
    sender.start()
    on_disk, deadline = 0, time.monotonic() + PAUSE
    while on_disk < MiB and time.monotonic() < deadline and not (store.folder / "halfway.bin").exists():
        time.sleep(0.02)
        on_disk = sum(p.stat().st_size for p in store.folder.glob("*halfway*")) if store.folder.exists() else 0
    visible = (store.folder / "halfway.bin").exists()
    gate.set()
    sender.join(PAUSE + 5)
    if visible:
        raise Failure(
            "the upload was already there under its name while its second half had not been sent.",
            expected="the bytes in store.partial(name) until the body is complete, then renamed to store.path(name)",
            got="store.path(name) existed halfway: a reader would take half a file for the whole",
            next="write to partial = store.partial(name); os.replace(partial, target) once the body has ended",
        )
    if on_disk < MiB:
        raise Failure(
            f"with 2 MiB of a 4 MiB upload sent, {size(on_disk)} had reached the disk after {PAUSE:g} s.",
            expected="each piece written as it arrives: at least 1 MiB on disk by then",
            got=f"{size(on_disk)}: the body was being held until it ended",
            next="`async for piece in request.stream():` and write each piece; `await request.body()` waits for all",
        )
    return "written as it arrived, under a partial name until complete"


@case("2.6")
def keeps_memory_flat(receive_upload, ctx):
    server, store = upload_server(ctx, receive_upload)
    data, bound = bytes(32 * MiB), 8 * MiB
    with peak_memory() as peak:
        response = server.client.put("/uploads/big.bin", content=pieces(data))
    if peak[0] > bound:
        raise Failure(
            f"receiving a {size(len(data))} upload took {size(peak[0])} of memory at its peak.",
            expected=f"under {size(bound)}, whatever the upload's size",
            got=f"{size(peak[0])}: the body was held in memory (status {response.status_code})",
            next="write each piece as it comes and keep only a running SHA-256 and byte count, not the pieces",
        )
    return f"peak memory under {size(bound)} for {size(len(data))}"


@case("2.6")
def refuses_more_than_max_bytes(receive_upload, ctx):
    server, store = upload_server(ctx, receive_upload)
    store.max_bytes, data = 256 * KiB, sample_bytes(512 * KiB, seed=3)
    for chunked, body in ((False, data), (True, pieces(data))):
        how = "chunked, without a Content-Length" if chunked else "with a Content-Length"
        response = server.client.put("/uploads/too-big.bin", content=body)
        if response.status_code != 413 or (store.folder / "too-big.bin").exists():
            raise Failure(
                f"a 512 KiB upload sent {how} to a store of max_bytes=256 KiB got {response.status_code}.",
                expected="413, and nothing kept under its name",
                got=f"{response.status_code}" + (", and the file was kept" if (store.folder / "too-big.bin").exists() else ""),
                next="count the bytes as they arrive and raise HTTPException(413) once past store.max_bytes"
                + ("; Content-Length alone cannot be trusted: a chunked body has none" if chunked else ""),
            )
    left = leftovers(store, {"report.bin", "halfway.bin", "big.bin"})
    if left:
        raise Failure(
            "a refused upload left its partial file behind.",
            expected="nothing but the completed uploads in the store's folder",
            got=", ".join(left),
            next="delete the partial file however the upload ends: try/finally around the writing",
        )
    return "413 past max_bytes, with or without Content-Length"


@case("2.6")
def leaves_nothing_when_the_client_leaves(receive_upload, ctx):
    server, store = upload_server(ctx, receive_upload)
    store.max_bytes = 16 * MiB
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        client.sendall(b"PUT /uploads/gone.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = sample_bytes(PIECE, seed=4)
        for _ in range(8):
            client.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        deadline = time.monotonic() + PAUSE
        while not any(store.folder.glob("*gone*")) and time.monotonic() < deadline:
            time.sleep(0.02)
    # the connection is closed halfway through the body
    deadline = time.monotonic() + 2
    while leftovers(store, {"report.bin", "halfway.bin", "big.bin"}) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = leftovers(store, {"report.bin", "halfway.bin", "big.bin"})
    if left:
        raise Failure(
            "a client that went away after 512 KiB of its upload left a file behind.",
            expected="nothing kept: the partial file deleted when the body breaks off",
            got=", ".join(left),
            next="request.stream() raises ClientDisconnect then: delete the partial file in a finally block",
        )
    return "nothing left behind by a client that went away."
