"""Refuses folders instead of accepting regular files only: reading the named pipe waits for a writer."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import Response

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
CASE = "serves_nothing_outside_the_root"
MESSAGE = [
    "✗ 4.5 download: GET /files/pipe got no answer within 3 s.\n"
    "  expected: 404 at once\n"
    "  got:      no status line: the endpoint is still waiting\n"
]


def download(path: str, root: Path = Depends(files_root)) -> Response:
    base = root.resolve()
    try:
        target = (base / path).resolve(strict=True)
    except (OSError, ValueError):
        raise HTTPException(404) from None
    if not target.is_relative_to(base) or target.is_dir():
        raise HTTPException(404)
    with open(target, "rb") as f:
        return Response(f.read())
