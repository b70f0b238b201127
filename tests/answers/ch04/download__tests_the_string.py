"""Refuses '..' and a leading '/' in the string: a symlink inside the root still leads out of it."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_nothing_outside_the_root"
MESSAGE = [
    "✗ 4.5 download: GET /files/escape.txt (path 'escape.txt') answered 200 with the bytes of secret.txt, "
    "a file outside the root.\n",
    "resolve() follows symlinks",
]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    if ".." in path or path.startswith("/"):
        raise HTTPException(404)
    return FileResponse(root / path)
