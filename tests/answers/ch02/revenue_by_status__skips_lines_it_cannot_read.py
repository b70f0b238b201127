"""Skips the lines that are not orders instead of checking the status: a 404 gives empty totals."""

import json

import httpx

EXERCISE = "2.5"
CASE = "raises_on_an_error_status"
MESSAGE = ["✗ 2.5 revenue_by_status: a 404 answer was read as if it were orders.\n", "got:      it returned {}"]


def revenue_by_status(url, on_progress=None):
    totals, pending = {}, 0
    with httpx.stream("GET", url) as response:
        for line in response.iter_lines():
            try:
                order = json.loads(line)
                status, price = order["status"], order["price_cents"]
            except (ValueError, KeyError):
                continue
            totals[status] = totals.get(status, 0) + price
            pending += 1
            if pending == 1000:
                if on_progress is not None:
                    on_progress(pending)
                pending = 0
    if pending and on_progress is not None:
        on_progress(pending)
    return totals
