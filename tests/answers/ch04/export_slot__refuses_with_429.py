"""Refuses with 429 Too Many Requests: the server is busy for everyone, not this client sending too much."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = ["✗ 4.6 export_report: GET /export.csv number 4 answered 429 while 3 exports were running.\n",
           "here the server is busy for everyone"]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    if slots.in_use >= slots.limit:
        raise HTTPException(
            status_code=429,
            detail="too many exports are running; try again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    slots.in_use += 1
    try:
        yield
    finally:
        slots.in_use -= 1
