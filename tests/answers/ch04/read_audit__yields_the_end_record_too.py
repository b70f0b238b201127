"""Yields each record before looking at it: the end record is handed over as if it were an event."""

import json
from collections.abc import Iterator

import httpx

from course_lib.support.ch04 import ExportFailed

EXERCISE = "4.2"
CASE = "read_audit_yields_the_events_of_a_complete_export"
MESSAGE = [
    "✗ 4.2 export_audit: read_audit on a complete export of 3 events handed over the wrong items.\n",
    "\n  expected: the 3 events, as dicts, without the end record\n",
]


def read_audit(url: str) -> Iterator[dict]:
    try:
        with httpx.stream("GET", url, timeout=30) as response:
            if response.status_code != 200:
                raise ExportFailed(f"the export answered {response.status_code}")
            for line in response.iter_lines():
                if not line:
                    continue
                record = json.loads(line)
                if "error" in record:
                    raise ExportFailed(f"{record['error']} after {record.get('after', '?')} events")
                yield record
                if "end" in record:
                    return
    except httpx.TransportError as exc:
        raise ExportFailed(f"the export broke off: {type(exc).__name__}") from exc
    raise ExportFailed("the export ended without its end record")
