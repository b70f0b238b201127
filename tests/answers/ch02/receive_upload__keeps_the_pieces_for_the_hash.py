"""Writes each piece as it comes, but also keeps them all to hash the whole body at the end."""

import hashlib
import os

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from course_lib.support.ch02 import UploadStore, upload_store

EXERCISE = "2.6"
CASE = "keeps_memory_flat"
MESSAGE = ["of memory at its peak", "keep only a running SHA-256 and byte count, not the pieces"]


async def receive_upload(name: str, request: Request, store: UploadStore = Depends(upload_store)) -> JSONResponse:
    target = store.path(name)
    partial, seen = store.partial(name), []
    try:
        with open(partial, "wb") as f:
            async for piece in request.stream():
                seen.append(piece)
                if sum(map(len, seen)) > store.max_bytes:
                    raise HTTPException(413, "too big")
                f.write(piece)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    whole = b"".join(seen)
    return JSONResponse({"name": name, "bytes": len(whole), "sha256": hashlib.sha256(whole).hexdigest()}, status_code=201)
