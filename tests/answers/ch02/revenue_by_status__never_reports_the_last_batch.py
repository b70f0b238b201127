"""Reports every full 1000 orders but not the rest at the end: the progress bar stops short of the total."""

import json

import httpx

EXERCISE = "2.5"
CASE = "reports_progress_while_the_stream_arrives"
MESSAGE = [
    "✗ 2.5 revenue_by_status: the progress reports for 6990 orders (9.5 MiB of JSON Lines) do not add up.\n",
    "got:      6 calls adding up to 6000",
]


def revenue_by_status(url, on_progress=None):
    totals, pending = {}, 0
    with httpx.stream("GET", url) as response:
        response.raise_for_status()
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
    return totals
