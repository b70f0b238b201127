"""Counts and refuses, but never deletes the partial file: every refused or broken upload leaves one behind."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "refuses_more_than_max_bytes"
MESSAGE = ["a refused upload left its partial file behind", "try/finally around the writing"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    if int(request.headers.get("content-length") or 0) > store.max_bytes:
        raise HTTPException(413, "too big")
    partial, digest, received = store.partial(name), hashlib.sha256(), 0
    with open(partial, "wb") as f:
        async for piece in request.stream():
            received += len(piece)
            if received > store.max_bytes:
                raise HTTPException(413, "too big")
            digest.update(piece)
            f.write(piece)
    os.replace(partial, target)
    return JSONResponse({"name": name, "bytes": received, "sha256": digest.hexdigest()}, status_code=201)
