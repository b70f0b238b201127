"""Deletes the partial file when it refuses the upload, but not when the client goes away."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "leaves_nothing_when_the_client_leaves"
MESSAGE = ["a client that went away after 512 KiB of its upload left a file behind", "ClientDisconnect"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    if int(request.headers.get("content-length") or 0) > store.max_bytes:
        raise HTTPException(413, "too big")
    partial, digest, received = store.partial(name), hashlib.sha256(), 0
    with open(partial, "wb") as f:
        async for piece in request.stream():
            received += len(piece)
            if received > store.max_bytes:
                f.close()
                partial.unlink()
                raise HTTPException(413, "too big")
            digest.update(piece)
            f.write(piece)
    os.replace(partial, target)
    return JSONResponse({"name": name, "bytes": received, "sha256": digest.hexdigest()}, status_code=201)
