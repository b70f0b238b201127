"""Compares the resolved target with `root` as given, a symlink: no real file is relative to it."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_the_files_inside_the_root_whole"
MESSAGE = ["✗ 4.5 download: GET /files/readme.txt (path 'readme.txt', a plain file) answered 404.\n",
           "compare with root.resolve(), not root"]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    try:
        target = (root / path).resolve(strict=True)
    except (OSError, ValueError):
        raise HTTPException(404) from None
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(404)
    return FileResponse(target)
