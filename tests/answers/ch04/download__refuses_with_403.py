"""Answers 403 Forbidden for whatever it does not serve, a missing file included."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "answers_404_for_a_missing_file"
MESSAGE = ["✗ 4.5 download: GET /files/missing.txt answered 403 for a file that does not exist.\n",
           "expected: 404 Not Found", "raise HTTPException(404)"]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=True)
    except (OSError, ValueError):
        raise HTTPException(403) from None
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(403)
    return FileResponse(target)
