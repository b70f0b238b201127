"""Refuses a path containing '..', and serves an absolute one: root / '/etc/passwd' is /etc/passwd."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_nothing_outside_the_root"
MESSAGE = [
    "✗ 4.5 download: GET /files//etc/passwd (path '/etc/passwd') answered 200 with the bytes of /etc/passwd, "
    "a file outside the root.\n",
    "a path that starts with / replaces the root",
]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    if ".." in path:
        raise HTTPException(404)
    return FileResponse(root / path)
