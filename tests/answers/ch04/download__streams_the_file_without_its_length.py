"""Streams the file in chunks as in chapter 1: the right bytes, but no Content-Length."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import StreamingResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_the_files_inside_the_root_whole"
MESSAGE = ["✗ 4.5 download: GET /files/readme.txt (path 'readme.txt', a plain file) did not send the file as it is.",
           "Content-Length: (none)", "return FileResponse(target)"]


def download(path: str, root: Path = Depends(files_root)) -> StreamingResponse:
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=True)
    except (OSError, ValueError):
        raise HTTPException(404) from None
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404)

    def chunks():
        with open(target, "rb") as f:
            while chunk := f.read(64 * 1024):
                yield chunk

    return StreamingResponse(chunks(), media_type="application/octet-stream")
