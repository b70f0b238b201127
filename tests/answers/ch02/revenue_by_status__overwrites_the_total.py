"""Assigns each order's price to its status instead of adding it: the last order of each status wins."""

import json

import httpx

EXERCISE = "2.5"
CASE = "totals_a_long_stream_cut_at_odd_places"
MESSAGE = [
    "✗ 2.5 revenue_by_status: three orders (paid 650, paid 100, shipped 899) gave the wrong totals.\n",
    "got:      {'paid': 100, 'shipped': 899}",
]


def revenue_by_status(url, on_progress=None):
    totals, pending = {}, 0
    with httpx.stream("GET", url) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line:
                continue
            order = json.loads(line)
            totals[order["status"]] = order["price_cents"]
            pending += 1
            if pending == 1000:
                if on_progress is not None:
                    on_progress(pending)
                pending = 0
    if pending and on_progress is not None:
        on_progress(pending)
    return totals
