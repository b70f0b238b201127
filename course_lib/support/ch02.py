"""What chapter 2's exercises build on (exercises/ch02_streaming_response.py): the orders they serve, the
connection that reads them, the long job whose progress 2.4 reports, and the store 2.6's uploads go to."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from fastapi import HTTPException
from pydantic import BaseModel

from course_lib.data import data_dir, orders_db

__all__ = ["Order", "Progress", "Status", "UploadStore", "job_steps", "orders_connection", "run_step", "upload_store"]

Status = Literal["paid", "shipped", "delivered", "cancelled", "refunded"]


class Order(BaseModel):
    """One row of the `orders` table."""

    id: int
    created: datetime
    customer: str
    item: str
    notes: str
    quantity: int
    price_cents: int
    status: Status


class Progress(BaseModel):
    """The data of one progress event: `step` of `total` steps are done."""

    step: int
    total: int


def orders_connection():
    """Dependency: one connection to the orders database per request, closed after the response is sent.

    Rows come back as sqlite3.Row: `row["status"]`, `dict(row)` and `Order(**row)` all work.
    check_same_thread=False because FastAPI opens it in one worker thread while a StreamingResponse
    runs each step of a plain generator in whichever worker thread is free.
    """
    conn = sqlite3.connect(orders_db(), check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


async def run_step(step: int) -> None:
    """One step of the long job that 2.4 reports on; here it only takes a while."""
    await asyncio.sleep(0.2)


def job_steps():
    """Dependency: the function that runs one step of the job (a check swaps in one it can watch)."""
    return run_step


# -- 2.6 ------------------------------------------------------------------------------------------------


class UploadStore:
    """Where uploads are kept: one file per name in `folder`, each at most `max_bytes` long."""

    NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")

    def __init__(self, folder: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def path(self, name: str) -> Path:
        """Where the upload called `name` is kept once complete; 400 for a name that is not a plain file name."""
        if not self.NAME.fullmatch(name) or ".." in name:
            raise HTTPException(400, "an upload's name is letters, digits, '.', '_' and '-' only")
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / name

    def partial(self, name: str) -> Path:
        """A new, unused path in the folder for `name` while its bytes arrive (never the final name)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".part")
        os.close(fd)
        return Path(path)


def upload_store() -> UploadStore:
    """The store receive_upload writes to (a check or a test replaces it with its own)."""
    return UploadStore(data_dir() / "uploads")
