"""f"{event}\n" instead of json.dumps(event): each line is a Python dict's repr, with single quotes, not JSON."""

from fastapi import Depends
from fastapi.responses import JSONResponse, Response, StreamingResponse

from course_lib.support.ch04 import AuditLog, audit_log

EXERCISE = "4.2"
CASE = "ends_complete_exports_with_the_end_record"
MESSAGE = ["✗ 4.2 export_audit: GET /audit.jsonl: line 1 is not JSON.\n", "'id': 1"]


def export_audit(audit: AuditLog = Depends(audit_log)) -> Response:
    events = audit.events()
    try:
        first = next(events, None)
    except Exception:
        return JSONResponse({"error": "export failed"}, status_code=500)

    def lines():
        sent = 0
        try:
            if first is not None:
                yield f"{first}\n"
                sent += 1
                for event in events:
                    yield f"{event}\n"
                    sent += 1
        except Exception:
            yield f"{ {'error': 'export failed', 'after': sent} }\n"
            return
        yield f"{ {'end': True, 'count': sent} }\n"

    return StreamingResponse(lines(), media_type="application/jsonl")
