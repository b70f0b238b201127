"""Each chapter's playground app, for `python -m course_lib serve NN`: point curl or a browser at it.

The apps use the answers the course is set to (COURSE_ANSWERS, `--answers`), so what a learner wrote is
what curl downloads.
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import PlainTextResponse, StreamingResponse

from ._answers import ROOT, answers

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


def data_dir() -> Path:
    """Where the course writes generated sample files (never committed)."""
    folder = Path(os.environ.get("COURSE_DATA") or ROOT / ".course" / "data")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sample_file(name: str, n: int) -> Path:
    """A file of `n` pseudo-random bytes in the data folder, made once and reused."""
    import random

    path = data_dir() / name
    if not path.exists() or path.stat().st_size != n:
        tmp = path.with_name(path.name + ".part")
        rng = random.Random(n)
        with open(tmp, "wb") as f:
            left = n
            while left:
                step = min(left, 1 << 20)
                f.write(rng.randbytes(step))
                left -= step
        os.replace(tmp, path)
    return path


def safe_path(folder: Path, name: str) -> Path:
    """`folder/name` for a plain file name; 404 for anything that could leave the folder."""
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise HTTPException(404, f"no file named {name!r} here")
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise HTTPException(404, f"no file named {name!r} here")
    return path


def chapter01() -> FastAPI:
    ex = answers("ch01_chunk_generators")
    sample_file("sample-3MiB.bin", 3 * (1 << 20) + 17)
    app = FastAPI(title="Chapter 1 playground: file_chunks over HTTP")

    @app.get("/", response_class=PlainTextResponse)
    def index() -> str:
        names = sorted(p.name for p in data_dir().iterdir() if p.is_file() and not p.name.endswith(".part"))
        return "Files served through your file_chunks():\n" + "".join(f"  /files/{n}\n" for n in names)

    @app.get("/files/{name}")
    def download(name: str) -> StreamingResponse:
        path = safe_path(data_dir(), name)
        return StreamingResponse(
            ex.file_chunks(path, 64 * 1024),
            media_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
        )

    return app


def chapter02() -> FastAPI:
    """The chapter-2 endpoints on the orders database (built in the data folder on first use)."""
    from fastapi.sse import EventSourceResponse

    from .data import orders_db

    ex = answers("ch02_streaming_response")
    orders_db()
    app = FastAPI(title="Chapter 2 playground: your streaming endpoints")

    @app.get("/", response_class=PlainTextResponse)
    def index() -> str:
        return (
            "Your chapter-2 endpoints on a million orders:\n"
            "  /orders.csv                              export_orders_csv (2.1)\n"
            "  /orders.jsonl?status=refunded&limit=5    orders_jsonl (2.2)\n"
            "  /orders.json?limit=3                     orders_json_array (2.3)\n"
            "  /progress?steps=10                       job_progress (2.4); resume with -H 'Last-Event-ID: 4'\n"
        )

    # Mounted as they are now: restart the playground after editing the exercise file.  A stub (or any
    # function without `yield`) is an ordinary endpoint to FastAPI, so it is mounted as one.
    for path, name in (("/orders.csv", "export_orders_csv"), ("/orders.jsonl", "orders_jsonl"),
                       ("/orders.json", "orders_json_array"), ("/progress", "job_progress")):  # fmt: skip
        endpoint = getattr(ex, name)
        streams = inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint)
        if not streams:
            app.add_api_route(path, endpoint, methods=["GET"], response_model=None)
        elif name == "job_progress":
            app.add_api_route(path, endpoint, methods=["GET"], response_class=EventSourceResponse)
        else:
            app.add_api_route(path, endpoint, methods=["GET"])
    return app


PLAYGROUNDS = {"01": chapter01, "02": chapter02}
