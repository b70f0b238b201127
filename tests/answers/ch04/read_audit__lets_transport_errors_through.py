"""Every failure the body can state becomes ExportFailed, but a cut connection raises httpx's own error."""

import json
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import ExportFailed

EXERCISE = "4.2"
CASE = "read_audit_raises_export_failed_for_every_failed_export"
MESSAGE = "✗ 4.2 export_audit: read_audit on a connection cut after 3 events raised RemoteProtocolError.\n"


def read_audit(url: str) -> Iterator[dict]:
    with httpx.stream("GET", url) as response:
        if response.status_code != 200:
            raise ExportFailed(f"status {response.status_code}")
        for line in response.iter_lines():
            record = json.loads(line)
            if "error" in record:
                raise ExportFailed(record["error"])
            if "end" in record:
                return
            yield record
    raise ExportFailed("no end record")
