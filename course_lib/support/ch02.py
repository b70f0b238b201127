"""What chapter 2's exercises build on (exercises/ch02_streaming_response.py): the orders they serve, the
connection that reads them, and the long job whose progress 2.4 reports."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from course_lib.data import orders_db

__all__ = ["Order", "Progress", "Status", "job_steps", "orders_connection", "run_step"]

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
