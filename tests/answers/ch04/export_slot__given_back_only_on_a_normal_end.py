"""The slot is given back after the yield but not in a finally: an export that fails keeps its slot for good."""

from collections.abc import AsyncIterator

from fastapi import Depends, HTTPException

from course_lib.support.ch04 import RETRY_AFTER_SECONDS, ExportSlots, export_slots

EXERCISE = "4.6"
CASE = "gives_the_slot_back_when_an_export_fails"
MESSAGE = [
    "✗ 4.6 export_report: GET /export.csv after one export failed midway answered 503 while 2 of 3 exports "
    "were running.\n",
    "give the slot back in a finally after the yield",
]


async def export_slot(slots: ExportSlots = Depends(export_slots)) -> AsyncIterator[None]:
    if slots.in_use >= slots.limit:
        raise HTTPException(
            status_code=503,
            detail="too many exports are running; try again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    slots.in_use += 1
    yield
    slots.in_use -= 1
