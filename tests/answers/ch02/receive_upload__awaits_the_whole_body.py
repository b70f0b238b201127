"""Reads the body with `await request.body()`, then writes it: nothing reaches the disk until the body has ended."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "writes_each_piece_as_it_arrives"
MESSAGE = ["had reached the disk after", "the body was being held until it ended", "`await request.body()` waits for all"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    body = await request.body()
    if len(body) > store.max_bytes:
        raise HTTPException(413, "too big")
    partial = store.partial(name)
    partial.write_bytes(body)
    os.replace(partial, target)
    return JSONResponse({"name": name, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}, status_code=201)
