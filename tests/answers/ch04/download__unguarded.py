"""Joins the path to the root and serves whatever is there: ../secret.txt is served."""

from pathlib import Path

from fastapi import Depends
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_nothing_outside_the_root"
MESSAGE = [
    "✗ 4.5 download: GET /files/../secret.txt (path '../secret.txt') answered 200 with the bytes of "
    "secret.txt, a file outside the root.\n"
    "  expected: 404, as for a missing file\n"
    "  got:      200 and the bytes of secret.txt, a file outside the root\n"
]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    return FileResponse(root / path)
