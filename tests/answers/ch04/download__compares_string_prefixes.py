"""str.startswith() on the resolved paths: '.../files-secret' starts with '.../files'."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_nothing_outside_the_root"
MESSAGE = [
    "✗ 4.5 download: GET /files/../files-secret/keys.txt (path '../files-secret/keys.txt') answered 200 "
    "with the bytes of files-secret/keys.txt, a file outside the root.\n",
    "Path.is_relative_to(), not str.startswith()",
]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    target = (root / path).resolve()
    if not str(target).startswith(str(root.resolve())) or not target.is_file():
        raise HTTPException(404)
    return FileResponse(target)
