"""A 503 without Retry-After: the client is not told when to come back."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException

from course_lib.support.ch04 import ExportSlots, export_slots

EXERCISE = "4.6"
CASE = "refuses_one_more_at_once"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv number 4 answered 503 without a Retry-After header.\n"
    "  expected: Retry-After: a number of seconds (1 or more), e.g. Retry-After: 5\n"
    "  got:      no Retry-After header\n"
]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    if slots.in_use >= slots.limit:
        raise HTTPException(status_code=503, detail="too many exports are running; try again later")
    slots.in_use += 1
    try:
        yield
    finally:
        slots.in_use -= 1
