"""The grader: a synthetic class graded with the instructor's notebook, course_lib and checks.

A small instructor course (the real course_lib, one notebook with a check cell per chapter-1 exercise)
keeps this fast; the notebooks' own behaviour is covered by test_notebooks.py.
"""

import ast
import contextlib
import csv
import json
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import nbformat
import pytest

from course_lib import _isolation
from course_lib._server import free_port
from course_lib._answers import stub_module
from course_lib.registry import exercise_ids, exercises
from course_lib._source import function_source, replace_function
from conftest import ROOT

pytestmark = pytest.mark.timeout(900)  # grading a class of sandboxed submissions

STEM = "ch01_chunk_generators"
IDS = [i for i in exercise_ids() if i.startswith("1.")]
SOLUTION = (ROOT / "solutions" / f"{STEM}.py").read_text()
STUB = stub_module(STEM)
SOLUTIONS_FILE = ROOT / "solutions" / f"{STEM}.py"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("instructor")
    shutil.copytree(ROOT / "course_lib", root / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ROOT / "course.toml", root / "course.toml")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("from course_lib import check")]
    nb.cells += [nbformat.v4.new_code_cell(f'check("{i}")') for i in IDS]
    nb.cells += [nbformat.v4.new_code_cell('print("the end")')]
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "01_mini.ipynb")
    return root


def run_grader(submissions: Path, out: Path, course: Path, *options: str) -> subprocess.CompletedProcess:
    """`python -m course_lib grade` as an instructor runs it, two submissions at a time."""
    return subprocess.run(
        [sys.executable, "-m", "course_lib", "grade", str(submissions), "--out", str(out), "--jobs", "2",
         "--cell-timeout", "30", "--timeout", "300", "--course", str(course), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    subs = base / "submissions"
    solution, stub = SOLUTION, STUB
    canary = base / "instructor-files"
    canary.mkdir()
    (canary / "keep.txt").write_text("precious")

    def learner(name, source, nested=True):
        folder = subs / name / ("exercises" if nested else "")
        folder.mkdir(parents=True)
        (folder / f"{STEM}.py").write_text(source)
        return subs / name

    learner("all", solution)
    learner("none", stub, nested=False)  # just the exercises/ folder handed in
    half = IDS[: (len(IDS) + 1) // 2]
    half_done = stub
    for i in half:
        half_done = replace_function(half_done, exercises()[i].function, function_source(solution, exercises()[i].function))
    learner("half", half_done)
    learner("syntax", solution.replace("def file_chunks(path", "def file_chunks(path,,"))
    learner("loops", solution + "\nwhile True:\n    pass\n")
    cheat = learner("cheat", stub)
    (cheat / "course_lib").mkdir()
    (cheat / "course_lib" / "__init__.py").write_text("def check(*args, **kwargs):\n    return True\n")
    (cheat / "notebooks").mkdir()
    fake = nbformat.v4.new_notebook()
    fake.cells = [nbformat.v4.new_code_cell("print('all good')")]
    nbformat.write(fake, cheat / "notebooks" / "01_mini.ipynb")
    learner("vandal", solution + f"\nimport shutil\nshutil.rmtree({str(canary)!r}, ignore_errors=True)\n"
            f"open({str(base / 'planted.txt')!r}, 'w').write('x')\n")  # fmt: skip
    out = base / "grades"
    # Where no sandbox can be made the grader refuses untrusted work; its scoring is still tested, unsandboxed.
    result = run_grader(subs, out, course, *(["--no-sandbox"] if _isolation.sandbox_problem() else []))
    return {"out": out, "result": result, "half": half, "canary": canary, "base": base, "course": course}


def gradebook(graded):
    with open(graded["out"] / "gradebook.csv", newline="") as f:
        return {row["learner"]: row for row in csv.DictReader(f)}


def test_grade_runs_and_reports(graded):
    result = graded["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "graded 7 submissions in" in result.stdout
    assert "slowest submissions:" in result.stdout


def test_gradebook_has_exact_scores(graded):
    book = gradebook(graded)
    expected_totals = {"all": len(IDS), "none": 0, "half": len(graded["half"]), "syntax": 0, "loops": 0,
                       "cheat": 0, "vandal": 0}  # fmt: skip
    assert {name: float(row["total"]) for name, row in book.items()} == expected_totals
    assert list(next(iter(book.values())).keys()) == ["learner", *IDS, "total", "reason"]
    for i in IDS:
        assert book["half"][i] == ("1" if i in graded["half"] else "0")


def test_feedback_is_the_check_messages(graded):
    feedback = graded["out"] / "feedback"
    none = (feedback / "none.txt").read_text()
    for i in IDS:
        ex = exercises()[i]
        assert f"… {i} {ex.function} is not written yet: edit exercises/{STEM}.py" in none
    assert "✓ 1.1 file_chunks: 4 chunks: 1 MiB, 1 MiB, 1 MiB, 17 B" in (feedback / "all.txt").read_text()
    assert "does not compile" in (feedback / "syntax.txt").read_text()
    assert "did not finish within" in (feedback / "loops.txt").read_text()


def test_grade_one_per_submission_then_merge_gives_the_same_gradebook(graded, tmp_path):
    """The one-host recipe of the README, literally: xargs runs grade-one per folder, then merge."""
    subs, results, out = graded["base"] / "submissions", tmp_path / "results", tmp_path / "grades"
    trust = "--no-sandbox" if _isolation.sandbox_problem() else ""
    recipe = (
        f"ls {subs} | xargs -P 2 -I{{}} {sys.executable} -m course_lib grade-one {subs}/{{}} --out {results}/{{}}.json "
        f"--cell-timeout 30 --timeout 300 --course {graded['course']} {trust} && "
        f"{sys.executable} -m course_lib merge {results}/*.json --out {out}"
    )
    done = subprocess.run(["sh", "-c", recipe], cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "merged 7 results" in done.stdout, done.stdout
    assert (out / "gradebook.csv").read_bytes() == (graded["out"] / "gradebook.csv").read_bytes()
    for feedback in (graded["out"] / "feedback").iterdir():
        assert (out / "feedback" / feedback.name).read_bytes() == feedback.read_bytes(), feedback.name
    first = json.loads(next(results.glob("*.json")).read_text())
    assert (first["format"], first["version"]) == ("stream-course-result", 1)
    assert {"id", "points", "max_points", "feedback"} == set(first["exercises"][0])


def test_merge_refuses_two_results_for_one_learner(graded, tmp_path):
    one = next((graded["out"] / "results").glob("*.json"))
    shutil.copy(one, tmp_path / "again.json")
    done = subprocess.run([sys.executable, "-m", "course_lib", "merge", str(one), str(tmp_path / "again.json"),
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert done.returncode != 0 and "more than one result for" in done.stderr, done.stderr


def test_hostile_submission_changes_nothing_outside_its_copy(graded):
    assert (graded["canary"] / "keep.txt").read_text() == "precious"
    assert not (graded["base"] / "planted.txt").exists()
    assert "may not change files outside its own folder" in (graded["out"] / "feedback" / "vandal.txt").read_text()


@pytest.mark.parametrize("answers", ["solutions", "stubs"])
def test_the_courses_own_notebooks_grade_the_reference_answers_full_and_the_stubs_zero(answers, tmp_path):
    """The grader runs each notebook's imports and check cells only: no check may need a demonstration before it."""
    folder = tmp_path / answers / "exercises"
    folder.mkdir(parents=True)
    for stem in sorted({ex.module for ex in exercises().values()}):
        text = (ROOT / "solutions" / f"{stem}.py").read_text() if answers == "solutions" else stub_module(stem)
        (folder / f"{stem}.py").write_text(text)
    trust = ["--no-sandbox"] if _isolation.sandbox_problem() else []
    done = subprocess.run([sys.executable, "-m", "course_lib", "grade-one", str(folder.parent), "--out",
                           str(tmp_path / "result.json"), *trust], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    scored = {e["id"]: e["points"] for e in result["exercises"]}
    expected = 1.0 if answers == "solutions" else 0.0
    wrong = {i: e["feedback"][:300] for i, e in zip(scored, result["exercises"]) if scored[i] != expected}
    assert result["reason"] == "" and len(scored) == len(exercises()) and not wrong, (result["reason"], wrong)


def test_points_per_exercise_are_configurable(course, tmp_path):
    subs = tmp_path / "subs"
    (subs / "ada" / "exercises").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{STEM}.py", subs / "ada" / "exercises")
    (tmp_path / "points.json").write_text(json.dumps({"1.1": 3}))
    from course_lib._grade import Limits, grade

    limits = Limits(cell_seconds=30, sandbox=_isolation.sandbox_problem() is None)
    results = grade(subs, tmp_path / "out", jobs=1, course=course, points={"1.1": 3}, limits=limits)
    assert results[0].points["1.1"] == 3
    assert results[0].total == 3 + len(IDS) - 1


# -- a class with hostile learners: each attack costs only the attacker's own grade ---------------------

needs_sandbox = pytest.mark.skipif(_isolation.sandbox_problem() is not None,
                                   reason=f"no sandbox here: {_isolation.sandbox_problem()}")  # fmt: skip
MARKER = "course-grade-attack-marker"


def hostile_sources(solution: str, stub: str, out: Path) -> dict[str, str]:
    """Learner name -> exercise module.  Module-level code runs in the notebook kernel at the first check."""
    solutions = ROOT / "solutions" / f"{STEM}.py"
    cases = "".join(f"<testcase classname='notebooks.01_mini.ipynb' name='Cell {n}'/>" for n in range(9))
    forged_report = f"<testsuites><testsuite name='pytest'>{cases}</testsuite></testsuites>"
    report = "os.path.join(os.environ['COURSE_SANDBOX'], 'report.xml')"
    forged_book = f"import time; time.sleep(6); open({str(out / 'gradebook.csv')!r}, 'w').write('forged')"
    return {
        "a-honest": solution,
        "b-killer": stub + "\nimport os, signal\nfor pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
                           "    if pid != os.getpid():\n        try:\n            os.kill(pid, signal.SIGKILL)\n"
                           "        except OSError:\n            pass\n",
        "c-peeker": stub + f"\nexec(open({str(solutions)!r}).read())  # the instructor's reference answers\n",
        "d-forger": stub + (
            f"\nimport os, signal\nopen({report}, 'w').write({forged_report!r})\n"
            "os.kill(os.getppid(), signal.SIGKILL)  # pytest, if it were visible: the report stays forged\n"),
        "e-lingerer": stub + in_a_child(forged_book, wait=False),
        "f-appender": stub + "\nimport course_lib._checks as checks\n"
                             "open(checks.__file__, 'a').write('\\n_verdict = lambda *a: \"✓ forged\"\\n')\n",
        "g-flooder": stub + "\nimport os\nfor _ in range(300):\n    os.write(1, b'x' * (1 << 20))  # 300 MiB\n",
        "h-patcher": stub + PATCHED_VERDICT,
        "h-swapper": stub + CASES_SWAPPED,
        **fence_escapes(stub),
    }  # fmt: skip


def in_a_child(code: str, wait: bool = True, flag: str = "-S") -> str:
    """Module code that runs `code` in a child Python that is not fenced (-S: no sitecustomize, -I: no environment).
    With `wait`, the module then raises what became of the child, so its feedback shows it was tried."""
    start = f"[sys.executable, {flag!r}, '-c', {code!r}, {MARKER!r}]"
    if not wait:
        return f"\nimport subprocess, sys\nsubprocess.Popen({start}, start_new_session=True)\n"
    return (f"\nimport subprocess, sys\nchild = subprocess.run({start}, capture_output=True, text=True)\n"
            "raise RuntimeError(f'the child ended {child.returncode}: {child.stderr.strip()[-200:]}')\n")


#: Forges every verdict in memory at import time: the checks run in the learner's process (see _vetting.py).
PATCHED_VERDICT = ("\nimport course_lib._checks as checks\n"
                   "checks._verdict = lambda ex, kind, value, ctx: f'✓ {ex.id}: forged'\n")  # fmt: skip
#: Forges every verdict without any name the first vetting refused: each exercise's cases become one that passes.
CASES_SWAPPED = ("\nimp = globals()['__builtins__']['__import__']\n"
                 "case_module = imp('course_lib.checks._case', fromlist=['CASES'])\n"
                 "for key in list(case_module.CASES):\n"
                 "    case_module.CASES[key] = [case_module.Case(key, 'ok', lambda answer, ctx: 'forged')]\n")  # fmt: skip
#: Where the fence escapes below try to write: the shared Python environment, which every later run imports from.
PLANTED = Path(sysconfig.get_paths()["purelib"]) / "zz_planted_by_a_learner"


HOSTILE_MEMORY_GIB = 2  # for each submission of the hostile class: the honest one needs far less
#: A port free on the grading machine that a learner's server tries to offer to everyone (0.0.0.0).
LISTENER_PORT = free_port()


def fence_escapes(stub: str) -> dict[str, str]:
    """Ways past the audit-hook fence (_sandbox.py) that need no C code: each reaches the sandbox, which must hold.
    An unfenced child (python -S, -I, curl) stands for any other way to get a process the fence does not watch."""
    cfg, planted = str(Path(sys.prefix) / "pyvenv.cfg"), str(PLANTED)
    return {
        "i-dirfd": stub + (
            f"\nimport os\nroot = os.open('/', os.O_RDONLY)\n"
            f"os.open({planted[1:] + '_i.pth'!r}, os.O_CREAT | os.O_WRONLY, dir_fd=root)\n"),
        "j-linker": stub + in_a_child(
            f"import os; w = os.environ['COURSE_SANDBOX']; os.link({cfg!r}, w + '/cfg'); open(w + '/cfg', 'a')"),
        "k-isolated": stub + in_a_child(f"open({planted + '_k.pth'!r}, 'w').write('import os')", flag="-I"),
        "l-curl": stub + (
            f"\nimport subprocess\ncurl = subprocess.run(['curl', '-sS', '-o', {planted + '_l.pth'!r}, "
            f"'file:///etc/hostname'], capture_output=True, text=True)\n"
            "raise RuntimeError(f'the child ended {curl.returncode}: {curl.stderr.strip()}')\n"),
        "m-listener": stub + in_a_child(  # ends 0 only after listening for 5 s
            f"import socket, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            f"s.bind(('0.0.0.0', {LISTENER_PORT})); s.listen(); time.sleep(5)"),
        "n-snooper": stub + (
            "\nimport os\nseen = []\nfor pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    try:\n        seen.append(open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ').decode())\n"
            "    except OSError:\n        pass\nraise RuntimeError(f'saw {seen}')\n"),
        "o-holder": stub + in_a_child("import time; time.sleep(900)  # holds the kernel's output open", wait=False),
        "p-hog": stub + (  # four unfenced children of 700 MiB each, under a limit of HOSTILE_MEMORY_GIB for them all
            f"\nimport subprocess, sys\nhog = 'm = b\"x\" * (700 << 20); import time; time.sleep(8)'\n"
            f"children = [subprocess.Popen([sys.executable, '-S', '-c', hog, {MARKER!r}]) for _ in range(4)]\n"
            "raise RuntimeError(f'the children ended {[c.wait() for c in children]}')\n"),
    }


@pytest.fixture(scope="module")
def hostile(course, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-class")
    out = base / "grades"
    for name, source in hostile_sources(SOLUTION, STUB, out).items():
        (base / "submissions" / name / "exercises").mkdir(parents=True)
        (base / "submissions" / name / "exercises" / f"{STEM}.py").write_text(source)
    # --no-vetting: each attack reaches the sandbox (the vetting would refuse most before they run; tested below)
    reached, grading = [], threading.Event()

    def knock() -> None:  # the whole time, try the port the listener offers to everyone
        while not grading.wait(0.2):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", LISTENER_PORT), timeout=0.2):
                reached.append(LISTENER_PORT)

    knocker = threading.Thread(target=knock, daemon=True)
    knocker.start()
    try:
        result = run_grader(base / "submissions", out, course, "--no-vetting", "--memory-gib", str(HOSTILE_MEMORY_GIB))
    finally:
        grading.set()
        knocker.join()
    return {"out": out, "result": result, "reached": reached}


@needs_sandbox
def test_hostile_learners_score_only_their_own_zero(hostile):
    import psutil
    import time

    assert hostile["result"].returncode == 0, hostile["result"].stdout + hostile["result"].stderr
    book = gradebook(hostile)
    assert {name: float(row["total"]) for name, row in book.items()} == {
        "a-honest": len(IDS), "b-killer": 0, "c-peeker": 0, "d-forger": 0, "e-lingerer": 0, "f-appender": 0,
        "g-flooder": 0,
        "h-patcher": 0, "h-swapper": 0,  # past the sandbox (a patch in the kernel's own memory): the seal sees it
        **dict.fromkeys(fence_escapes(STUB), 0),
    }  # fmt: skip
    assert "FileNotFoundError" in (hostile["out"] / "feedback" / "c-peeker.txt").read_text()
    assert "Read-only file system" in (hostile["out"] / "feedback" / "f-appender.txt").read_text()
    # pytest and its report are outside the learners' sandboxes: forging a report there, or killing every process
    # in sight, leaves the honest report of what their kernels did
    assert book["d-forger"]["reason"] == "" and book["b-killer"]["reason"] == "", (book["d-forger"], book["b-killer"])
    assert "not written yet" in (hostile["out"] / "feedback" / "d-forger.txt").read_text()
    for name, changed in (("h-patcher", "course_lib._checks._verdict"), ("h-swapper", "cases of 1.1")):
        assert book[name]["reason"].startswith("code outside the checks changed them"), book[name]
        assert changed in (hostile["out"] / "feedback" / f"{name}.txt").read_text()
    for name in ("j-linker", "k-isolated", "l-curl"):  # each child ran, and failed
        said = (hostile["out"] / "feedback" / f"{name}.txt").read_text()
        assert "the child ended " in said and "the child ended 0" not in said, said[:600]
    probe = _isolation.SubmissionCgroup()
    whole, _ = probe.whole, probe.remove()
    if whole:  # one memory limit for all of a submission's processes (where this host lets the grader make cgroups)
        assert "-9" in (hostile["out"] / "feedback" / "p-hog.txt").read_text(), "the hog's children all lived"
    planted = sorted(p.name for p in PLANTED.parent.glob(PLANTED.name + "*"))
    assert planted == [], f"a learner wrote into the shared Python environment: {planted}"
    assert "the child ended 0" in (hostile["out"] / "feedback" / "m-listener.txt").read_text()  # it did listen
    assert hostile["reached"] == [], "a learner's server was reachable from the grading machine"
    snooped = (hostile["out"] / "feedback" / "n-snooper.txt").read_text()
    seen = ast.literal_eval(re.search(r"saw (\[.*?\])\n", snooped).group(1))
    # its own kernel, and bwrap's process 1 (whose command line is the kernel's, wrapped): not pytest, nor the grader
    assert 1 <= len(seen) <= 2 and all(c.endswith("ipykernel_launcher -f " + c.split(" -f ")[-1]) for c in seen), seen
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]
    assert left == [], "a learner's detached process outlived the grading run"
    time.sleep(7)  # the lingerer's child would have rewritten the gradebook by now
    assert gradebook(hostile) == book


@needs_sandbox
def test_grading_refuses_without_a_sandbox_unless_told(course, tmp_path, monkeypatch):
    from course_lib import _grade

    monkeypatch.setattr(_grade._isolation, "sandbox_problem", lambda: "bubblewrap (bwrap) is not installed")
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    with pytest.raises(SystemExit, match="(?s)Refusing to grade: bubblewrap .* pass --no-sandbox"):
        _grade.grade(tmp_path / "subs", tmp_path / "out", course=course)


def test_an_unreadable_report_is_that_learners_zero(tmp_path):
    from course_lib._grade import Result, _read_verdicts

    (tmp_path / "report.xml").write_text("<not xml")
    result = Result("garbler", {"1.1": 0.0}, {"1.1": "not graded"})
    _read_verdicts(result, tmp_path / "report.xml", tmp_path / "results.jsonl", tmp_path / "output.log",
                   {("01_mini.ipynb", 1): "1.1"}, {})
    assert result.total == 0 and result.reason.startswith("the test report could not be read"), result.reason


def test_check_messages_left_as_a_fifo_or_a_link_are_not_read(tmp_path):
    """results.jsonl is written by the learner's kernel: a FIFO there once held the grader forever after the run,
    and a link would have had the grader (perhaps root) read a file the sandbox never showed."""
    import os

    from course_lib._grade import _read_results

    outside = tmp_path / "outside.jsonl"
    outside.write_text('{"id": "1.1", "message": "a secret"}\n')
    (tmp_path / "linked.jsonl").symlink_to(outside)
    os.mkfifo(tmp_path / "fifo.jsonl")
    assert _read_results(tmp_path / "linked.jsonl") == {} and _read_results(tmp_path / "fifo.jsonl") == {}
    assert _read_results(outside) == {"1.1": "a secret"}


def test_a_cell_that_runs_out_of_time_is_named_and_so_are_the_checks_after_it(tmp_path):
    """nbval's own words (a timeout in a failure's text, the later cells skipped) become what the learner reads."""
    from course_lib._grade import Result, _read_verdicts

    timeout = "#x1B[94mCell 1: Timeout of 15 seconds exceeded while executing cell. Failed to interrupt kernel"
    (tmp_path / "report.xml").write_text(
        f"<testsuites><testsuite><testcase classname='notebooks.01_mini.ipynb' name='Cell 1'><failure>{timeout}"
        "</failure></testcase><testcase classname='notebooks.01_mini.ipynb' name='Cell 2'><skipped message="
        "'Previous cell timed out, expected cell to fail'/></testcase></testsuite></testsuites>")  # fmt: skip
    result = Result("slow", {"1.1": 0.0, "1.2": 0.0}, {"1.1": "not graded", "1.2": "not graded"})
    _read_verdicts(result, tmp_path / "report.xml", tmp_path / "results.jsonl", tmp_path / "output.log",
                   {("01_mini.ipynb", 1): "1.1", ("01_mini.ipynb", 2): "1.2"}, {})
    assert result.total == 0 and result.reason == "", result
    assert result.feedback["1.1"].startswith("✗ the check cell did not finish within 15 s"), result.feedback
    assert result.feedback["1.2"].startswith("not run: an earlier cell of this notebook ran out of time"), result.feedback


SEES_PRIVATE_FILES = """
import os
found = []
for root, folders, files in os.walk("/etc"):
    for name in files:
        path = os.path.join(root, name)
        try:
            if not os.stat(path).st_mode & 0o004 and os.access(path, os.R_OK) and open(path, "rb").read(1):
                found.append(path)
        except OSError:
            pass
print(os.getuid(), found)
"""


@needs_sandbox
def test_a_submission_reads_only_what_any_user_could(tmp_path):
    """Run as root, the grader maps root into the sandbox: files only their owner may read (/etc/shadow and its
    backup /etc/shadow-, gshadow, sudoers ...) must still show nothing, while the rest of /etc stays readable."""
    argv = _isolation.sandboxed([sys.executable, "-c", SEES_PRIVATE_FILES], tmp_path, [])
    shown = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr[-500:]
    assert shown.stdout.split(" ", 1)[1].strip() == "[]", shown.stdout
    check_passwd = subprocess.run(_isolation.sandboxed([sys.executable, "-c", "print(open('/etc/passwd').read(4))"],
                                  tmp_path, []), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert check_passwd.stdout.strip() == "root", check_passwd.stderr[-500:]


def test_code_that_could_forge_verdicts_is_refused_before_it_runs(course, tmp_path):
    """With the vetting on (the default), each route to a forged verdict is refused, named, and costs nothing to run."""
    attacks = {
        "h-patcher": STUB + PATCHED_VERDICT,
        "i-through-sys": STUB + "\nimport sys\nsys.modules['course_lib._checks']._verdict = print\n",
        "j-walker": STUB + "\nfrom course_lib.data import data_dir\n"
                           "data_dir.__globals__['__builtins__']['__import__']('course_lib._checks')._verdict = print\n",
        "k-reader": STUB + f"\nexec(open({str(ROOT / 'solutions' / (STEM + '.py'))!r}).read())\n",
        "l-case-swapper": STUB + CASES_SWAPPED,
    }  # fmt: skip
    for name, source in attacks.items():
        (tmp_path / "subs" / name / "exercises").mkdir(parents=True)
        (tmp_path / "subs" / name / "exercises" / f"{STEM}.py").write_text(source)
    result = run_grader(tmp_path / "subs", tmp_path / "out", course)
    assert result.returncode == 0, result.stdout + result.stderr
    book = {row["learner"]: row for row in csv.DictReader(open(tmp_path / "out" / "gradebook.csv"))}
    expected = {"h-patcher": "._verdict", "i-through-sys": "import sys", "j-walker": ".__globals__", "k-reader": "exec",
                "l-case-swapper": "globals"}  # fmt: skip
    for name, phrase in expected.items():
        assert float(book[name]["total"]) == 0, book[name]
        assert book[name]["reason"].startswith("refused before running: ch01_chunk_generators.py line "), book[name]
        assert phrase in book[name]["reason"], book[name]
