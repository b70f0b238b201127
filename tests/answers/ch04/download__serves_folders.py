"""No is_file(): the root itself, a folder, reaches FileResponse, which fails (500)."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "refuses_every_hostile_path_with_the_same_404"
MESSAGE = ["✗ 4.5 download: GET /files/ (path '') answered 500.\n", "serve regular files only"]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=True)
    except (OSError, ValueError):
        raise HTTPException(404) from None
    if not target.is_relative_to(base):
        raise HTTPException(404)
    return FileResponse(target)
