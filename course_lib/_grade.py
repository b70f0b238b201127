"""Grading a class: `python -m course_lib grade SUBMISSIONS/ [--out DIR] [--jobs N]`.

Each submission (one folder per learner: a copy of the course, or just the learner's exercises/) is graded
in a temporary folder of its own that holds the instructor's notebooks and course_lib and only the learner's
exercise modules.  `pytest --nbval-lax` runs the notebooks there, each in a kernel that is sandboxed
(_isolation.py), fenced (_sandbox.py) and limited in time and memory, so a broken or hostile submission costs only
its own grade.  pytest itself runs outside the sandbox and writes its report to a folder no kernel can see.  The
verdict for an exercise is the instructor's check cell in the instructor's notebook: a learner's edited checks,
notebook cells or course_lib are never run.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import dataclasses
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil

from . import _isolation
from ._answers import ROOT
from ._seal import BROKEN
from ._vetting import vet

CHECK_CELL = re.compile(r"""^check\(\s*["'](\d+\.\d+)["']\s*\)\s*$""")
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")  # junit XML writes ESC as "#x1B"
MODULE_NAME = re.compile(r"ch\d\d_[a-z0-9_]+\.py")
MAX_MODULE_BYTES = 1 << 20
MAX_FEEDBACK_BYTES = 1 << 20  # of the check messages a submission's kernel leaves for the feedback
KERNEL = "course-graded-submission"  # the kernel spec the grader writes for each submission's notebooks


@dataclasses.dataclass
class Limits:
    submission_seconds: float = 900.0
    cell_seconds: float = 120.0
    sandbox: bool = True  # False only when the instructor trusts every submission (--no-sandbox)
    vetting: bool = True  # False runs modules _vetting refuses (--no-vetting: after reading a refused learner's code)
    memory_bytes: int = _isolation.MEMORY_BYTES  # for all of the submission's processes together, where cgroups allow


@dataclasses.dataclass
class Result:
    learner: str
    points: dict[str, float]
    feedback: dict[str, str]
    reason: str = ""
    seconds: float = 0.0
    max_points: dict[str, float] = dataclasses.field(default_factory=dict)
    cpu_seconds: float | None = None  # of the whole submission, where the host's cgroups account it

    @property
    def total(self) -> float:
        return sum(self.points.values())

    def to_json(self) -> dict:
        """The per-submission result contract (RESULT_FORMAT, version RESULT_VERSION): see the README."""
        return {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "learner": self.learner,
            "reason": self.reason,
            "seconds": round(self.seconds, 1),
            "cpu_seconds": None if self.cpu_seconds is None else round(self.cpu_seconds, 1),
            "exercises": [
                {"id": i, "points": points, "max_points": self.max_points.get(i, 1.0), "feedback": self.feedback[i]}
                for i, points in self.points.items()
            ],
        }

    @classmethod
    def from_json(cls, data: dict, source: str = "") -> Result:
        if data.get("format") != RESULT_FORMAT or data.get("version") != RESULT_VERSION:
            raise ValueError(f"{source}: not a {RESULT_FORMAT} result of version {RESULT_VERSION}")
        items = data["exercises"]
        return cls(
            learner=str(data["learner"]),
            points={str(e["id"]): float(e["points"]) for e in items},
            feedback={str(e["id"]): str(e["feedback"]) for e in items},
            reason=str(data.get("reason", "")),
            seconds=float(data.get("seconds", 0.0)),
            cpu_seconds=None if data.get("cpu_seconds") is None else float(data["cpu_seconds"]),
            max_points={str(e["id"]): float(e["max_points"]) for e in items},
        )


RESULT_FORMAT = "stream-course-result"
RESULT_VERSION = 1


def notebook_check_cells(notebook: Path) -> dict[int, str]:
    """{nbval cell number: exercise id} for the cells of `notebook` that are only a check() call."""
    found = {}
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    for number, cell in enumerate(cells):
        match = CHECK_CELL.match("".join(cell["source"]).strip())
        if match:
            found[number] = match.group(1)
    return found


def keep_only_checks(notebook: Path) -> None:
    """Mark every code cell of the grader's copy of `notebook` for nbval to skip, except the first (the imports)
    and the check cells.  Numbering stays, so check_cells() still names them.  The demonstrations score nothing,
    and cost most of a notebook's time (a demonstration that calls a learner's endless loop waits out its limit)."""
    checks = notebook_check_cells(notebook)
    data = json.loads(notebook.read_text(encoding="utf-8"))
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    for number, cell in enumerate(code):
        if number and number not in checks:
            cell.setdefault("metadata", {}).setdefault("tags", []).append("nbval-skip")
    notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def check_cells(course: Path) -> dict[tuple[str, int], str]:
    """{(notebook file name, nbval cell number): exercise id} for every check cell of the course."""
    return {
        (notebook.name, number): exercise_id
        for notebook in sorted((course / "notebooks").glob("*.ipynb"))
        for number, exercise_id in notebook_check_cells(notebook).items()
    }


def locate_exercises(submission: Path) -> Path | None:
    """The learner's exercise modules: <submission>/exercises/, or the submission folder itself."""
    for folder in (submission / "exercises", submission):
        if folder.is_dir() and any(MODULE_NAME.fullmatch(p.name) for p in folder.iterdir()):
            return folder
    return None


def _exercise_modules(exercises: Path) -> list[Path]:
    """The files of a submission that are graded: plain exercise modules (no links out of the folder, nothing that
    would shadow course_lib), each at most MAX_MODULE_BYTES."""
    return [module for module in sorted(exercises.iterdir())
            if MODULE_NAME.fullmatch(module.name) and module.is_file() and not module.is_symlink()
            and module.stat().st_size <= MAX_MODULE_BYTES]  # fmt: skip


def _refused(exercises: Path) -> str:
    """Why the submission is not run at all (_vetting.py: code that could change its own verdicts), or ""."""
    found = []
    for module in _exercise_modules(exercises):
        source = module.read_text(encoding="utf-8", errors="replace")
        found += [f"{module.name} {finding}" for finding in vet(source)]
    if not found:
        return ""
    shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    return f"refused before running: {shown} (code that could reach into the checks; see the README's threat model)"


def _prepare(course: Path, exercises: Path, work: Path) -> None:
    # symlinks=True: notebooks/course_lib stays the link to ../course_lib, so the kernel imports the copy below
    skip = shutil.ignore_patterns(".ipynb_checkpoints")
    shutil.copytree(course / "notebooks", work / "notebooks", symlinks=True, ignore=skip)
    for notebook in (work / "notebooks").glob("*.ipynb"):
        keep_only_checks(notebook)
    shutil.copytree(course / "course_lib", work / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(course / "course.toml", work / "course.toml")  # the exercises, read by course_lib/registry.py
    (work / "exercises").mkdir()
    for module in _exercise_modules(exercises):
        shutil.copyfile(module, work / "exercises" / module.name)
    shutil.copyfile(course / "course_lib" / "_sandbox.py", work / "_course_sandbox.py")
    (work / "sitecustomize.py").write_text("import _course_sandbox  # noqa: F401 - the grader's fence\n")
    for name in ("home", "tmp", "runtime", "ipython", "cache", "mpl", ".course"):
        (work / name).mkdir()


def _host_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")}


def _trusted_environment(trusted: Path) -> dict[str, str]:
    """pytest's: Jupyter finds the submission's kernel spec and writes connection files in `trusted` only."""
    return {
        **_host_environment(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": str(trusted),
        "JUPYTER_PATH": str(trusted / "jupyter"),
        "JUPYTER_CONFIG_DIR": str(trusted / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(trusted / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(trusted / "runtime"),
        "TMPDIR": str(trusted / "runtime"),  # where jupyter_client writes connection files; kernels may read it
        "JUPYTER_PLATFORM_DIRS": "1",
    }


def _kernel_environment(work: Path, vetting: bool = True) -> dict[str, str]:
    """The notebook kernels': everything they write goes to the submission's folder, and the fence is on."""
    return {
        **_host_environment(),
        **({} if vetting else {"COURSE_VETTING": "off"}),  # check() refuses what the grader refuses, unless told
        "PYTHONPATH": str(work),
        "PYTHONDONTWRITEBYTECODE": "1",
        "COURSE_SANDBOX": str(work),
        "COURSE_ANSWERS": str(work / "exercises"),
        "COURSE_PROGRESS": str(work / ".course" / "progress.json"),
        "COURSE_DATA": str(work / ".course" / "data"),
        "COURSE_RESULTS": str(work / "results.jsonl"),
        "HOME": str(work / "home"),
        "TMPDIR": str(work / "tmp"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "IPYTHONDIR": str(work / "ipython"),
        "JUPYTER_PATH": str(work / "home"),
        "JUPYTER_CONFIG_DIR": str(work / "home"),
        "JUPYTER_DATA_DIR": str(work / "home"),
        "XDG_CACHE_HOME": str(work / "cache"),
        "MPLCONFIGDIR": str(work / "mpl"),
        "MPLBACKEND": "agg",
    }


def _write_kernel_spec(trusted: Path, argv: list[str], env: dict[str, str]) -> None:
    """The kernel nbval starts for each notebook.  Interrupts go as messages: a signal to bwrap would not reach it."""
    folder = trusted / "jupyter" / "kernels" / KERNEL
    folder.mkdir(parents=True)
    spec = {"argv": argv, "env": env, "display_name": "a graded submission", "language": "python",
            "interrupt_mode": "message"}  # fmt: skip
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


def _output_tail(path: Path, limit: int = 4000) -> str:
    """The end of what the submission printed, read without loading all of it (it may be a flood)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - limit))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _kill_tree(pid: int) -> None:
    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=5)


CELL_TIMEOUT = re.compile(r"Timeout of ([\d.]+) seconds exceeded")


def _failure_text(case: ET.Element) -> str:
    """What to tell the learner about a check cell that did not pass, from nbval's words in the report."""
    skipped = case.find("skipped")
    if skipped is not None and "timed out" in (skipped.get("message") or ""):
        return "not run: an earlier cell of this notebook ran out of time, and nbval runs no more cells after that"
    problem = case.find("failure")
    if problem is None:
        problem = case.find("error")
    text = ANSI.sub("", (problem.text or "") if problem is not None else "")
    timeout = CELL_TIMEOUT.search(text)
    if timeout:
        return (f"✗ the check cell did not finish within {timeout.group(1)} s, the grader's limit for one cell: look "
                f"for a loop that never ends or a read that waits forever, and run the check yourself")
    # nbval prints "Traceback:" and then what IPython showed for the error: the check's own lines.
    return text.split("Traceback:", 1)[-1].strip()


def grade_one(learner: str, submission: Path, course: Path, cells: dict, points: dict, limits: Limits) -> Result:
    started = time.monotonic()
    ids = sorted(set(cells.values()), key=lambda i: tuple(map(int, i.split("."))))
    result = Result(learner, {i: 0.0 for i in ids}, {i: "not graded" for i in ids},
                    max_points={i: float(points.get(i, 1)) for i in ids})  # fmt: skip
    exercises = locate_exercises(submission)
    if exercises is None:
        result.reason = "no exercise modules (exercises/chNN_*.py) in the submission"
        result.feedback = {i: result.reason for i in ids}
        return result
    refused = _refused(exercises) if limits.vetting else ""
    if refused:
        result.reason = refused
        result.feedback = {i: refused for i in ids}
        result.seconds = time.monotonic() - started
        return result
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    trusted = Path(tempfile.mkdtemp(prefix="course-verdict-"))  # never inside the sandbox
    cgroup = None
    try:
        _prepare(course, exercises, work)
        (trusted / "runtime").mkdir()
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        # -P: nothing of the submission's folder on pytest's import path; pytest is the grader's, not the learner's
        command = [
            sys.executable, "-P", "-m", "pytest", "--nbval-lax", f"--nbval-kernel-name={KERNEL}", "--noconftest",
            "-p", "no:cacheprovider", f"--nbval-cell-timeout={limits.cell_seconds:g}", "-q", "-c", os.devnull,
            "--rootdir", str(work), f"--junitxml={trusted / 'report.xml'}", str(work / "notebooks"),
        ]  # fmt: skip
        if limits.sandbox:
            read_only = [work / name for name in ("notebooks", "course_lib", "course.toml", "exercises",
                                                  "_course_sandbox.py", "sitecustomize.py")]  # fmt: skip
            # JPY_PARENT_PID names pytest, whom a kernel cannot see from its PID namespace: without it the kernel
            # does not take that for its parent's death, and bwrap's --die-with-parent ends it with pytest instead.
            kernel = _isolation.sandboxed(kernel, work, read_only, readable=(trusted / "runtime",),
                                          share_network=True, unset=("JPY_PARENT_PID",))
            command = _isolation.loopback_only(command)
            cgroup = _isolation.SubmissionCgroup(limits.memory_bytes)
        _write_kernel_spec(trusted, kernel, _kernel_environment(work, limits.vetting))
        with open(trusted / "output.log", "wb") as output:
            process = subprocess.Popen(
                command, cwd=trusted, env=_trusted_environment(trusted), stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=lambda: _isolation.limit_child(cgroup, limits.memory_bytes),
            )  # fmt: skip
            try:
                process.wait(timeout=limits.submission_seconds)
            except subprocess.TimeoutExpired:
                result.reason = f"stopped after {limits.submission_seconds:g} s for the whole submission"
            finally:
                _kill_tree(process.pid)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                if cgroup is not None:
                    cgroup.kill_all()
                    result.cpu_seconds = cgroup.cpu_seconds()
                process.wait()
        if process.returncode not in (0, 1) and not result.reason:  # pytest: 0 all passed, 1 some failed
            result.reason = f"the test run did not finish normally (exit code {process.returncode}): its report " \
                            f"is not trusted; " + _output_tail(trusted / "output.log", 200)  # fmt: skip
        if not result.reason:
            _read_verdicts(result, trusted / "report.xml", work / "results.jsonl", trusted / "output.log", cells,
                           points)
    except Exception as exc:  # noqa: BLE001 - one submission's trouble is that submission's zero, never the run's
        result.points = {i: 0.0 for i in ids}
        result.reason = f"grading failed: {type(exc).__name__}: {exc}"[:300]
    finally:
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(trusted, ignore_errors=True)
    for exercise_id in ids:
        if result.feedback[exercise_id] == "not graded" and result.reason:
            result.feedback[exercise_id] = result.reason
    result.seconds = time.monotonic() - started
    return result


def _read_verdicts(result: Result, report: Path, messages: Path, output: Path, cells: dict, points: dict) -> None:
    """Points from the junit report pytest wrote outside the sandbox; a missing or unreadable report is a zero with
    the reason.  The check messages the kernel left (`messages`) only word the feedback."""
    if not report.exists():
        result.reason = result.reason or "the notebooks did not run: " + _output_tail(output, 300)
        return
    try:
        root = ET.parse(report).getroot()
    except ET.ParseError as exc:
        result.reason = result.reason or f"the test report could not be read ({exc})"
        return
    verdicts = _read_results(messages)
    reported = {(case.get("classname", "").removeprefix("notebooks."), case.get("name", "")) for case in
                root.iter("testcase")}  # fmt: skip
    missing = sorted(i for (notebook, number), i in cells.items() if (notebook, f"Cell {number}") not in reported)
    if missing:
        result.reason = f"the test report lacks the check cells of {', '.join(missing)}: it is not trusted"
        return
    for case in root.iter("testcase"):
        # nbval names a cell "Cell N" (N counts code cells) of class "notebooks.<file name>".
        match = re.fullmatch(r"Cell (\d+)", case.get("name", ""))
        notebook = case.get("classname", "").removeprefix("notebooks.")
        key = (notebook, int(match.group(1))) if match else None
        if key not in cells:
            continue
        exercise_id = cells[key]
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        said = verdicts.get(exercise_id, "")  # written by the learner's kernel: it may say what it likes
        if not failed and not skipped:
            result.points[exercise_id] = float(points.get(exercise_id, 1))
            passed = said if said.startswith(f"✓ {exercise_id} ") else f"✓ {exercise_id} passed"
            result.feedback[exercise_id] = passed
        else:
            said = "" if said.startswith("✓") else said
            result.feedback[exercise_id] = said or _failure_text(case) or "failed"
    broken = [i for i, text in result.feedback.items() if BROKEN in text]
    if broken:  # _seal.py: learner code patched the checks in its kernel, so no verdict of that kernel stands
        result.points = {i: 0.0 for i in result.points}
        result.reason = f"{BROKEN} in the notebook's kernel (found by the check of {broken[0]}): no verdict is trusted"


def _read_results(path: Path) -> dict[str, str]:
    """Last verdict message per exercise, as check() wrote it (feedback equals what the learner saw)."""
    found: dict[str, str] = {}
    try:  # the learner's kernel could leave a link or a FIFO here: read only a regular file, and never wait
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return found
    with open(descriptor, "rb") as f:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return found
        lines = f.read(MAX_FEEDBACK_BYTES).decode(errors="replace").splitlines()
    for line in lines:
        try:
            item = json.loads(line)
            found[str(item["id"])] = str(item["message"])
        except (ValueError, KeyError, TypeError):
            continue
    return found


def prepare_grading(course: Path, limits: Limits) -> dict[tuple[str, int], str]:
    """The course's check cells, once it is sure the submissions can be graded as `limits` say."""
    problem = _isolation.sandbox_problem() if limits.sandbox else None
    if problem:
        raise SystemExit(
            f"Refusing to grade: {problem}.\nEvery submission runs in a bubblewrap sandbox of its own, so that no "
            f"learner can read the solutions or another's work, or change another's grade. To grade anyway, with "
            f"no isolation beyond per-process limits, pass --no-sandbox (only for submissions you trust)."
        )
    cells = check_cells(course)
    if not cells:
        raise SystemExit(f"no check cells in {course / 'notebooks'}: nothing to grade")
    return cells


def grade_submission(submission: Path, result_file: Path, learner: str | None = None, course: Path = ROOT,
                     points: dict[str, float] | None = None, limits: Limits | None = None,
                     cells: dict[tuple[str, int], str] | None = None) -> Result:  # fmt: skip
    """One submission in, one results file out (the unit an engine such as xargs, parallel or a
    Kubernetes Indexed Job runs): whatever the tests say, the file is written.  `cells`, when the caller has
    already run prepare_grading() for a whole class, saves doing it again for every submission."""
    limits = limits or Limits()
    cells = cells or prepare_grading(course, limits)
    result = grade_one(learner or submission.name, submission, course, cells, points or {}, limits)
    result_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = result_file.with_name(result_file.name + ".part")
    tmp.write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, result_file)
    return result


def merge(result_files: list[Path], out: Path) -> list[Result]:
    """The gradebook, feedback and summary from any number of results files, in any order."""
    results = [Result.from_json(json.loads(f.read_text(encoding="utf-8")), str(f)) for f in result_files]
    results.sort(key=lambda r: r.learner)
    names = [r.learner for r in results]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SystemExit(f"more than one result for {', '.join(twice)}")
    if any(list(r.points) != list(results[0].points) for r in results):
        raise SystemExit("the results do not grade the same exercises: were they made with one course?")
    write_gradebook(results, out)
    return results


def grade(
    submissions: Path,
    out: Path,
    jobs: int | None = None,
    course: Path = ROOT,
    points: dict[str, float] | None = None,
    limits: Limits | None = None,
) -> list[Result]:
    """A whole class on this machine, `jobs` at a time: grade_submission() per folder, then merge()."""
    started = time.monotonic()
    limits = limits or Limits()
    cells = prepare_grading(course, limits)
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    jobs = jobs or os.cpu_count() or 1
    results_dir = out / "results"
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_submission, f, results_dir / f"{f.name}.json", f.name, course, points, limits,
                               cells) for f in folders]  # fmt: skip
        for future in futures:
            future.result()
    results = merge([results_dir / f"{f.name}.json" for f in folders], out)
    print(summary(results, time.monotonic() - started))
    return results


def write_gradebook(results: list[Result], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ids = list(results[0].points) if results else []
    with open(out / "gradebook.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["learner", *ids, "total", "reason"])
        for r in results:
            writer.writerow([r.learner, *(f"{r.points[i]:g}" for i in ids), f"{r.total:g}", r.reason])
    feedback = out / "feedback"
    feedback.mkdir(exist_ok=True)
    for r in results:
        lines = [f"Feedback for {r.learner}: {r.total:g} of {sum(r.max_points.values()):g} points" if not r.reason else
                 f"Feedback for {r.learner}: {r.total:g} points ({r.reason})", ""]  # fmt: skip
        for exercise_id in ids:
            lines += [f"## Exercise {exercise_id}", r.feedback[exercise_id], ""]
        (feedback / f"{r.learner}.txt").write_text("\n".join(lines), encoding="utf-8")


def summary(results: list[Result], seconds: float | None = None) -> str:
    """Pass rate per exercise, the slowest submissions, and the run's wall time when it is known."""
    if not results:
        return "no submissions found"
    ids = list(results[0].points)
    lines = ["exercise  passed"]
    for exercise_id in ids:
        passed = sum(r.points[exercise_id] > 0 for r in results)
        lines.append(f"{exercise_id:<9} {passed}/{len(results)} ({100 * passed / len(results):.0f} %)")
    lines.append("")
    lines.append("slowest submissions:")
    for r in sorted(results, key=lambda r: -r.seconds)[:3]:
        cpu = f", {r.cpu_seconds:.1f} s CPU" if r.cpu_seconds is not None else ""
        lines.append(f"  {r.learner:<20} {r.seconds:6.1f} s{cpu}" + (f"  ({r.reason})" if r.reason else ""))
    job_seconds = sum(r.seconds for r in results)
    if seconds is None:
        lines.append(f"merged {len(results)} results; their grading took {job_seconds:.1f} s of job time")
    else:
        lines.append(f"graded {len(results)} submissions in {seconds:.1f} s ({job_seconds:.1f} s of job time)")
    return "\n".join(lines)
