"""resolve() without strict=True and no try: a NUL byte in the path raises ValueError in the endpoint (a 500).
(Written in a notebook cell instead, the same answer gets the check's own words: test_ch04_safety_cases.py.)"""

from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.responses import FileResponse

from course_lib.support.ch04 import files_root

EXERCISE = "4.5"
VERDICT = "raised"
CASE = "refuses_every_hostile_path_with_the_same_404"
# Python words the ValueError itself, differently by version ("embedded null byte" on 3.11 and 3.12,
# "lstat: embedded null character in path" on 3.13): the check passes it on as it is.
MESSAGE = ["✗ 4.5 download raised ValueError while serving the request: ", "embedded null ",
           ": target = (base / path).resolve()\n"]


def download(path: str, root: Path = Depends(files_root)) -> FileResponse:
    base = root.resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404)
    return FileResponse(target)
