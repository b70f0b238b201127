"""httpx.get() waits for the whole body: right events and errors, but none handed over as it arrives."""

import json
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import ExportFailed

EXERCISE = "4.2"
CASE = "read_audit_yields_the_events_of_a_complete_export"
MESSAGE = "✗ 4.2 export_audit: read_audit handed over no event until the whole export had arrived.\n"


def read_audit(url: str) -> Iterator[dict]:
    response = httpx.get(url)
    if response.status_code != 200:
        raise ExportFailed(f"status {response.status_code}")
    for line in response.text.splitlines():
        record = json.loads(line)
        if "error" in record:
            raise ExportFailed(record["error"])
        if "end" in record:
            return
        yield record
    raise ExportFailed("no end record")
