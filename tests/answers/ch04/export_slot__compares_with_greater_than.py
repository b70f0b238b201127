"""Refuses only when slots.in_use > slots.limit: one export more than the limit gets in."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 got in while 3 exports were streaming (the limit is 3).\n"
    "  expected: 503 Service Unavailable with Retry-After\n"
    "  got:      200, with slots.in_use at 4\n"
]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    if slots.in_use > slots.limit:
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
