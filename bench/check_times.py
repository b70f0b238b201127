"""`python -m bench.check_times OUT.json [--repeats N]`: wall time of check() for every registered exercise.

Runs the reference solutions (COURSE_ANSWERS=solutions) in this process, `repeats` passes over all the
exercises; the first pass includes the imports a learner's first check() pays too.  Writes JSON to OUT.json
(not stdout: a check may print).
"""

import argparse
import json
import os
import sys
import time

os.environ["COURSE_ANSWERS"] = "solutions"

from course_lib import check  # noqa: E402
from course_lib.registry import exercise_ids, exercises  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.check_times", description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = {i: {"function": exercises()[i].function, "seconds": [], "failed": None} for i in exercise_ids()}
    for _ in range(args.repeats):
        for exercise_id, entry in results.items():
            started = time.perf_counter()
            try:
                check(exercise_id, quiet=True)
            except Exception as exc:  # a failing solution is reported, not hidden
                entry["failed"] = str(exc).strip().splitlines()[0][:200]
            entry["seconds"].append(time.perf_counter() - started)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
