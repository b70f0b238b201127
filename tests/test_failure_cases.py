"""Each `raise Failure(` in course_lib/checks is a failure case: a mistake the course promises to catch and
word.  A case no wrong answer reaches is a promise nothing proves.  This measures, after the whole suite has
run, which cases the wrong answers (tests/answers/) and the targeted tests reached."""

from __future__ import annotations

import ast
import os
from collections import Counter

import pytest

from conftest import FAILURE_SITES_REACHED, ROOT

CHECKS = ROOT / "course_lib" / "checks"
REQUIRED = 0.95
REPORT = ROOT / "test-artifacts" / "failure-cases.txt"


def failure_sites() -> list[str]:
    """Every `raise Failure(...)` in course_lib/checks, as "course_lib/checks/<file>:<line>"."""
    sites = []
    for path in sorted(CHECKS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                if getattr(node.exc.func, "id", "") == "Failure":
                    sites.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    return sites


def ran_everything(session) -> bool:
    """Whether this session runs the whole suite: every test file, nothing deselected."""
    collected = {item.path for item in session.items}
    everything = set((ROOT / "tests").glob("test_*.py"))
    options = session.config.option
    return collected >= everything and not options.keyword and not options.markexpr


@pytest.mark.after_all
def test_nearly_every_failure_case_is_reached(request):
    # While working on one chapter: FAILURE_CASES_UNDER=course_lib/checks/ch01 measures its cases alone,
    # over the tests this run selected.
    under = os.environ.get("FAILURE_CASES_UNDER", "")
    if not under and not ran_everything(request.session):
        pytest.skip("a partial run: the failure cases are measured over the whole suite")
    sites = [site for site in failure_sites() if site.startswith(under)]
    missed = [site for site in sites if site not in FAILURE_SITES_REACHED]
    per_file = Counter(site.rsplit(":", 1)[0] for site in sites)
    missed_per_file = Counter(site.rsplit(":", 1)[0] for site in missed)
    lines = [f"{len(sites) - len(missed)} of {len(sites)} failure cases reached"]
    for name, total in sorted(per_file.items()):
        lines.append(f"  {name}: {total - missed_per_file[name]} of {total}")
    lines += ["not reached:", *(f"  {site}" for site in missed)]
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reached = (len(sites) - len(missed)) / len(sites)
    assert reached >= REQUIRED, f"{lines[0]} ({reached:.0%}, below {REQUIRED:.0%}); see {REPORT.relative_to(ROOT)}"
