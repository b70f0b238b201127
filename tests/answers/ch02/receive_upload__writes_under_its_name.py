"""Streams to disk, but straight into store.path(name): half an upload is visible under its name."""

import hashlib

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "writes_each_piece_as_it_arrives"
MESSAGE = ["already there under its name while its second half had not been sent", "os.replace(partial, target)"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    digest, received = hashlib.sha256(), 0
    try:
        with open(target, "wb") as f:
            async for piece in request.stream():
                received += len(piece)
                if received > store.max_bytes:
                    raise HTTPException(413, "too big")
                digest.update(piece)
                f.write(piece)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return JSONResponse({"name": name, "bytes": received, "sha256": digest.hexdigest()}, status_code=201)
