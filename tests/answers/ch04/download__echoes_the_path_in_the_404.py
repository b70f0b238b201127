"""Every refusal is a 404, but its detail repeats the path: each answer differs from a missing file's."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "refuses_every_hostile_path_with_the_same_404"
MESSAGE = [
    "✗ 4.5 download: GET /files/../secret.txt (path '../secret.txt') answered 404 with another body than "
    "a missing file's.\n"
]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=True)
    except (OSError, ValueError):
        raise HTTPException(404, f"no file {path!r}") from None
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, f"no file {path!r}")
    return FileResponse(target)
