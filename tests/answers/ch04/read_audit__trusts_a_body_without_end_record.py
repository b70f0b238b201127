"""Skips the end record but never asks whether it came: a body cut short looks complete."""

import json
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import ExportFailed

EXERCISE = "4.2"
CASE = "read_audit_raises_export_failed_for_every_failed_export"
MESSAGE = [
    "✗ 4.2 export_audit: read_audit on a body that ends after 3 events without the end record returned "
    "normally, as if the export were complete.\n",
    "\n  expected: 3 events, then ExportFailed\n",
    "\n  got:      3 events and no exception\n",
]


def read_audit(url: str) -> Iterator[dict]:
    with httpx.stream("GET", url) as response:
        if response.status_code != 200:
            raise ExportFailed(f"status {response.status_code}")
        for line in response.iter_lines():
            record = json.loads(line)
            if "error" in record:
                raise ExportFailed(record["error"])
            if "end" not in record:
                yield record
