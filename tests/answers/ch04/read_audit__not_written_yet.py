"""export_audit written, read_audit still the exercise's stub: the check names the half that is missing."""

from collections.abc import Iterator

EXERCISE = "4.2"
CASE = "read_audit_yields_the_events_of_a_complete_export"
MESSAGE = "✗ 4.2 export_audit: read_audit, the client half of this exercise, is not written yet.\n"


def read_audit(url: str) -> Iterator[dict]:
    raise NotImplementedError
