"""Opens the partial file with "wb" inside the loop: each piece truncates the file, so only the last one stays."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "keeps_the_body_and_answers_201"
MESSAGE = ["does not hold its bytes", "write every piece of request.stream(), in order"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    if int(request.headers.get("content-length") or 0) > store.max_bytes:
        raise HTTPException(413, "too big")
    partial, digest, received = store.partial(name), hashlib.sha256(), 0
    try:
        async for piece in request.stream():
            received += len(piece)
            if received > store.max_bytes:
                raise HTTPException(413, "too big")
            digest.update(piece)
            with open(partial, "wb") as f:
                f.write(piece)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return JSONResponse({"name": name, "bytes": received, "sha256": digest.hexdigest()}, status_code=201)
