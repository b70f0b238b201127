"""The variants `make bench` serves, each from a real uvicorn process: `uvicorn bench.apps:app`.

BENCH_FILE names the file every variant sends; the reference answers are loaded from solutions/.
"""

import os
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


@app.get("/reference")
def reference(chunk: int = 1 << 20) -> StreamingResponse:
    """Notebook 01's file_chunks behind a StreamingResponse (1 MiB chunks by default)."""
    return StreamingResponse(ch01.file_chunks(FILE, chunk), media_type="application/octet-stream")


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
    """Notebook 03's reference send_blob() on the same file."""
    return ch03.send_blob(request, FileBlob(FILE))
