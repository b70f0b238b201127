"""`make bench`: the course's performance claims and reference solutions, measured side by side in one run."""
