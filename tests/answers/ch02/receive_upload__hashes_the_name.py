"""Keeps the file right, but reports the SHA-256 of the wrong thing (the file's name)."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "keeps_the_body_and_answers_201"
MESSAGE = ["did not get the answer a created file gets", "expected: 201 {'name': 'report.bin', 'bytes': 3145733"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    if int(request.headers.get("content-length") or 0) > store.max_bytes:
        raise HTTPException(413, "too big")
    partial, received = store.partial(name), 0
    try:
        with open(partial, "wb") as f:
            async for piece in request.stream():
                received += len(piece)
                if received > store.max_bytes:
                    raise HTTPException(413, "too big")
                f.write(piece)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return JSONResponse({"name": name, "bytes": received, "sha256": hashlib.sha256(name.encode()).hexdigest()}, status_code=201)
