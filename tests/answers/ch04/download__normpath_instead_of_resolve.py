"""os.path.normpath() removes the dot segments but follows no symlink: escape.txt leads out of the root."""

import os
from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_nothing_outside_the_root"
MESSAGE = ["✗ 4.5 download: GET /files/escape.txt (path 'escape.txt') answered 200"]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    base = os.path.realpath(root)
    target = os.path.normpath(os.path.join(base, path))
    if not target.startswith(base + os.sep) or not os.path.isfile(target):
        raise HTTPException(404)
    return FileResponse(target)
