"""Checks the status and the end record, but an error record is yielded as if it were an event."""

import json
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import ExportFailed

EXERCISE = "4.2"
CASE = "read_audit_raises_export_failed_for_every_failed_export"
MESSAGE = [
    "✗ 4.2 export_audit: read_audit on an error record after 3 events handed over 4 events before raising "
    "ExportFailed.\n",
    "\n  expected: the 3 events that came before the failure, then the exception\n",
    "\n  got:      4 events\n",
]


def read_audit(url: str) -> Iterator[dict]:
    with httpx.stream("GET", url) as response:
        if response.status_code != 200:
            raise ExportFailed(f"status {response.status_code}")
        for line in response.iter_lines():
            record = json.loads(line)
            if "end" in record:
                return
            yield record
    raise ExportFailed("no end record")
