"""The first event is taken before the response, but without a try: the exception leaves the endpoint, and
the server answers its own plain-text 500."""

import json

from fastapi import Depends
from fastapi.responses import Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "says_only_export_failed_in_that_500"
MESSAGE = [
    "✗ 4.2 export_audit: GET /audit.jsonl answered 500 (text/plain; charset=utf-8) when the log failed "
    "before its first event.\n",
    '\n  expected: 500, Content-Type: application/json, body {"error": "export failed"}\n',
    "\n  got:      500 'Internal Server Error'\n",
]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    events = audit.events()
    first = next(events, None)

    def lines():
        sent = 0
        try:
            if first is not None:
                yield json.dumps(first) + "\n"
                sent += 1
                for event in events:
                    yield json.dumps(event) + "\n"
                    sent += 1
        except Exception:
            yield json.dumps({"error": "export failed", "after": sent}) + "\n"
            return
        yield json.dumps({"end": True, "count": sent}) + "\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
