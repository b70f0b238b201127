"""Splits each raw chunk at b"\n": a line (or a UTF-8 character) cut by a chunk boundary does not parse.
Where the chunks are cut decides which: JSONDecodeError or UnicodeDecodeError."""

import json

import httpx

EXERCISE = "2.5"
VERDICT = "raised"
CASE = "totals_a_long_stream_cut_at_odd_places"
MESSAGE = ["✗ 2.5 revenue_by_status raised ", "DecodeError: ", "order = json.loads(line)\n"]


def revenue_by_status(url, on_progress=None):
    totals = {}
    with httpx.stream('GET', url) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            for line in chunk.split(b'\n'):
                if line:
                    order = json.loads(line)
                    totals[order['status']] = totals.get(order['status'], 0) + order['price_cents']
    return totals
