"""Compares with 2, the exercise's limit, instead of slots.limit: with the check's limit of 3 the third is refused."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_slots

EXERCISE = "4.6"
CASE = "lets_limit_exports_run_at_once"
MESSAGE = ["✗ 4.6 export_report: GET /export.csv number 3 answered 503 while 2 of 3 exports were running.\n",
           "compare with slots.limit (the check sets its own)"]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    if slots.in_use >= 2:
        raise HTTPException(
            status_code=503,
            detail="too many exports are running; try again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    slots.in_use += 1
    try:
        yield
    finally:
        slots.in_use -= 1
