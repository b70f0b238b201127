import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ON_CI = bool(os.environ.get("CI"))

# On CI the property tests replay the same examples every run (a failure there is reproducible, never new
# luck); on a laptop they explore new examples each time and remember the failing ones in .hypothesis/.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if ON_CI:
    settings.load_profile("ci")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On CI (CI set, as .ci/run does) a test may not skip: a missing tool (curl, Chromium, nginx, bwrap ...)
    would otherwise turn a broken course into a green run.  The skip becomes a failure that names it."""
    outcome = yield
    report = outcome.get_result()
    if ON_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"on CI no test may skip, and this one would have: {reason}"


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    terminalreporter.write_line(f"tests skipped in this run: {len(skipped)}" + (" (listed above)" if skipped else ""))


# Where in course_lib/checks each failed check raised its Failure ("course_lib/checks/ch01.py:212"), over the
# whole session: tests/test_failure_cases.py measures it against every `raise Failure(` there is.
FAILURE_SITES_REACHED: set[str] = set()


@pytest.fixture(scope="session", autouse=True)
def record_failure_sites():
    from course_lib import _checks

    original = _checks._verdict

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        if isinstance(result, _checks.CheckFailed) and result.site:
            FAILURE_SITES_REACHED.add(result.site)
        return result

    _checks._verdict = recording
    sealed, _checks._seal = _checks._seal, _checks.Seal()  # this patch is ours: seal the checks again with it
    yield
    _checks._verdict, _checks._seal = original, sealed


@pytest.fixture
def reseal(monkeypatch):
    """For a test that patches the check machinery on purpose: seal it again with the patch (see _seal.py); the
    seal before the test comes back after it."""
    from course_lib import _checks

    return lambda: monkeypatch.setattr(_checks, "_seal", _checks.Seal())


def pytest_collection_modifyitems(items):
    """Tests marked `after_all` run last, once everything they measure has run."""
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


@pytest.fixture(autouse=True)
def course_env(tmp_path, monkeypatch):
    """Every test gets its own progress file and data folder; answers default to the solutions."""
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_ANSWERS", "solutions")
    yield


@pytest.fixture
def learner_dir(tmp_path, monkeypatch):
    """A folder of exercise modules standing in for a learner's exercises/ (COURSE_ANSWERS=<path>)."""
    folder = tmp_path / "learner"
    folder.mkdir()
    monkeypatch.setenv("COURSE_ANSWERS", str(folder))
    return folder


def write_module(folder: Path, stem: str, source: str) -> Path:
    path = folder / f"{stem}.py"
    path.write_text(source, encoding="utf-8")
    # A new mtime each write, even within the file system's timestamp resolution.
    stamp = path.stat().st_mtime_ns + 1_000_000 * (1 + len(source) % 7)
    os.utime(path, ns=(stamp, stamp))
    return path
