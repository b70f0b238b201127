"""resolve(strict=True) without a try: a missing file raises FileNotFoundError in the endpoint."""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
VERDICT = "raised"
CASE = "answers_404_for_a_missing_file"
MESSAGE = ["✗ 4.5 download raised FileNotFoundError while serving the request: ",
           ": target = (base / path).resolve(strict=True)\n"]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    base = root.resolve()
    target = (base / path).resolve(strict=True)
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(target)
