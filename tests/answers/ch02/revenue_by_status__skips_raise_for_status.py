"""Never calls raise_for_status(): a 404's error body is parsed as if it were an order."""

import json

import httpx

EXERCISE = "2.5"
CASE = "raises_on_an_error_status"
MESSAGE = [
    "✗ 2.5 revenue_by_status: a 404 answer raised the wrong error.\n"
    "  expected: httpx.HTTPStatusError (response.raise_for_status())\n"
    "  got:      KeyError: 'status'\n"
]


def revenue_by_status(url, on_progress=None):
    totals, pending = {}, 0
    with httpx.stream("GET", url) as response:
        for line in response.iter_lines():
            if not line:
                continue
            order = json.loads(line)
            totals[order["status"]] = totals.get(order["status"], 0) + order["price_cents"]
            pending += 1
            if pending == 1000:
                if on_progress is not None:
                    on_progress(pending)
                pending = 0
    if pending and on_progress is not None:
        on_progress(pending)
    return totals
