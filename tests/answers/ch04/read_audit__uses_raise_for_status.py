"""response.raise_for_status(): a 500 raises httpx's HTTPStatusError, which a caller catching ExportFailed misses."""

import json
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import ExportFailed

EXERCISE = "4.2"
CASE = "read_audit_raises_export_failed_for_every_failed_export"
MESSAGE = [
    '✗ 4.2 export_audit: read_audit on a 500 with {"error": "export failed"} raised HTTPStatusError.\n',
    "\n  expected: ExportFailed: one exception a caller can catch for every way an export can fail\n",
    "\n  got:      HTTPStatusError: Server error '500 Internal Server Error' for url <url>\n",
]


def read_audit(url: str) -> Iterator[dict]:
    with httpx.stream("GET", url) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            record = json.loads(line)
            if "error" in record:
                raise ExportFailed(record["error"])
            if "end" in record:
                return
            yield record
    raise ExportFailed("no end record")
