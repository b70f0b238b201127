"""The variants `make bench` serves, each from a real uvicorn process: `uvicorn bench.apps:app`.

BENCH_FILE names the file every variant sends; the reference answers are loaded from solutions/.
"""

import functools
import os
import types
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

os.environ.setdefault("COURSE_ANSWERS", "solutions")

from course_lib._answers import load_module  # noqa: E402
from course_lib.playground import FileBlob  # noqa: E402

FILE = Path(os.environ.get("BENCH_FILE", "bench.bin"))
ch01 = load_module("ch01_chunk_generators")
ch03 = load_module("ch03_range_requests")
app = FastAPI()


def send_blob_reading(chunk_size: int):
    """ch03's send_blob exactly as written, except that the read_range() it calls reads `chunk_size` at a time."""
    reads = functools.partial(ch03.read_range, chunk_size=chunk_size)
    namespace = dict(vars(ch03), read_range=reads)
    return types.FunctionType(ch03.send_blob.__code__, namespace, "send_blob", ch03.send_blob.__defaults__)


send_blob_256kib = send_blob_reading(256 << 10)
send_blob_1mib = send_blob_reading(1 << 20)


@app.get("/reference")
def reference(chunk: int | None = None) -> StreamingResponse:
    """Notebook 01's file_chunks behind a StreamingResponse, at its default chunk size (1 MiB) unless ?chunk= says."""
    chunks = ch01.file_chunks(FILE) if chunk is None else ch01.file_chunks(FILE, chunk)
    return StreamingResponse(chunks, media_type="application/octet-stream")


@app.get("/reference-length")
def reference_length() -> StreamingResponse:
    """The same stream with a Content-Length, so uvicorn sends the chunks as they are instead of chunked framing."""
    headers = {"Content-Length": str(FILE.stat().st_size)}
    return StreamingResponse(ch01.file_chunks(FILE), headers=headers, media_type="application/octet-stream")


@app.get("/fileresponse")
def fileresponse() -> FileResponse:
    """Starlette's FileResponse as shipped: 64 KiB reads in a worker thread, Range handled by Starlette."""
    return FileResponse(FILE)


@app.get("/naive")
def naive() -> Response:
    """Read it all, then send it."""
    return Response(FILE.read_bytes(), media_type="application/octet-stream")


@app.get("/range")
def ranged(request: Request) -> Response:
    """Notebook 03's reference send_blob() on the same file, as shipped (read_range reads CHUNK_SIZE, 256 KiB, at a time)."""
    return ch03.send_blob(request, FileBlob(FILE))


@app.get("/range-256kib")
def ranged_256kib(request: Request) -> Response:
    """The same send_blob(), its read_range() reading 256 KiB at a time: what a larger CHUNK_SIZE would give."""
    return send_blob_256kib(request, FileBlob(FILE))


@app.get("/range-1mib")
def ranged_1mib(request: Request) -> Response:
    """The same send_blob(), its read_range() reading 1 MiB at a time (notebook 01's chunk size)."""
    return send_blob_1mib(request, FileBlob(FILE))


@app.get("/accel")
def accel() -> Response:
    """The app decides, nginx sends: an empty answer naming the file in nginx's internal location /protected/."""
    return Response(headers={"X-Accel-Redirect": f"/protected/{FILE.name}", "Content-Type": "application/octet-stream"})
