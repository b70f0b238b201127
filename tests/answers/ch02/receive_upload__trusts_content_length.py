"""Refuses a Content-Length over the limit, but counts nothing: a chunked body of any size gets in."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "refuses_more_than_max_bytes"
MESSAGE = ["sent chunked, without a Content-Length to a store of max_bytes=256 KiB got 201", "Content-Length alone cannot be trusted"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    if int(request.headers.get("content-length") or 0) > store.max_bytes:
        raise HTTPException(413, "too big")
    partial, digest, received = store.partial(name), hashlib.sha256(), 0
    try:
        with open(partial, "wb") as f:
            async for piece in request.stream():
                received += len(piece)
                digest.update(piece)
                f.write(piece)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return JSONResponse({"name": name, "bytes": received, "sha256": digest.hexdigest()}, status_code=201)
