"""Command line: `python -m course_lib serve 01 | check [1.1 ...] | hint 1.1 | solution 1.1 | progress | reset 1.1 |
grade DIR | grade-one SUBMISSION --out FILE | merge FILE... --out DIR`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _parser() -> argparse.ArgumentParser:
    """The learner's commands; the instructor's are added by _add_grading."""
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__)
    parser.add_argument(
        "--answers",
        help="load answers from 'exercises' (default), 'solutions', 'stubs' or a folder (sets COURSE_ANSWERS)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a chapter's playground app on 127.0.0.1 until Ctrl-C")
    serve.add_argument("chapter", help="chapter number, e.g. 01")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--answers", dest="answers_sub", help=argparse.SUPPRESS)
    check = commands.add_parser("check", help="run exercise checks (all of them without ids)")
    check.add_argument("ids", nargs="*")
    check.add_argument("--answers", dest="answers_sub", help=argparse.SUPPRESS)
    for name in ("hint", "solution", "reset"):
        sub = commands.add_parser(name, help=f"{name} for one exercise")
        sub.add_argument("id")
        if name == "solution":
            sub.add_argument("--give-up", action="store_true", help="show it without an attempt")
    progress = commands.add_parser("progress", help="table of every exercise: passed, failed, not tried")
    progress.add_argument("chapter", nargs="?", help="only this chapter's exercises, e.g. 03")
    _add_grading(commands)
    return parser


def _add_grading(commands: Any) -> None:
    """grade, grade-one and merge: the instructor's commands."""
    from ._isolation import MEMORY_BYTES

    grade = commands.add_parser("grade", help="grade a folder of submissions (one folder per learner)")
    grade.add_argument("submissions", help="folder holding one folder per learner")
    grade.add_argument("--out", default="grades", help="where gradebook.csv and feedback/ go (default: grades)")
    grade.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    one = commands.add_parser("grade-one", help="grade one submission into a results file (exit 0 whatever it scores)")
    one.add_argument("submission", help="one learner's folder")
    one.add_argument("--out", required=True, help="the results file to write, e.g. results/ada.json")
    one.add_argument("--learner", help="the learner's name in the gradebook (default: the folder's name)")
    for command in (grade, one):
        command.add_argument("--points", help='JSON file of points per exercise, e.g. {"1.1": 2} (default: 1 each)')
        command.add_argument("--cell-timeout", type=float, default=120.0, help="seconds one notebook cell may take")
        command.add_argument("--timeout", type=float, default=900.0, help="seconds one whole submission may take")
        command.add_argument("--memory-gib", type=float, default=MEMORY_BYTES / (1 << 30),
                             help="memory all processes of one submission may hold together (default: %(default)g)")
        command.add_argument("--no-sandbox", action="store_true",
                             help="grade without bubblewrap isolation: only for submissions you trust")  # fmt: skip
        command.add_argument("--no-vetting", action="store_true",
                             help="run exercise modules the grader refuses (code that could reach into the checks): "
                                  "after reading a refused learner's code")  # fmt: skip
        command.add_argument("--course", default=None, help=argparse.SUPPRESS)
    merge = commands.add_parser("merge", help="gradebook.csv, feedback/ and a summary from results files")
    merge.add_argument("results", nargs="+", help="results files written by grade-one")
    merge.add_argument("--out", default="grades", help="where gradebook.csv and feedback/ go (default: grades)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    answers = getattr(args, "answers_sub", None) or args.answers
    if answers:
        os.environ["COURSE_ANSWERS"] = answers

    import course_lib

    if args.command == "serve":
        return _serve(args.chapter, args.port)
    if args.command == "check":
        return _check(args.ids)
    if args.command in ("grade", "grade-one", "merge"):
        return _grade(args)
    if args.command == "hint":
        print(course_lib.hint(args.id))
    elif args.command == "solution":
        print(course_lib.solution(args.id, give_up=args.give_up))
    elif args.command == "reset":
        print(course_lib.reset(args.id))
    elif args.command == "progress":
        print(course_lib.progress(args.chapter))
    return 0


def _serve(chapter: str, port: int) -> int:
    import socket

    import uvicorn

    from .playground import PLAYGROUNDS, banner

    key = chapter.zfill(2)
    if key not in PLAYGROUNDS:
        print(f"no playground for chapter {chapter!r}; there are: {', '.join(sorted(PLAYGROUNDS))}", file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): another program (another playground?) has it; "
              f"pick another port with --port, or --port 0 for any free one", file=sys.stderr)  # fmt: skip
        return 2
    app = PLAYGROUNDS[key]()
    print(banner(key, sock.getsockname()[1]), flush=True)
    config = uvicorn.Config(app, log_level="info", http="h11")  # as serve() in the notebooks
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops cleanly, then raises Ctrl-C again; uvicorn.run() swallows it the same way
        pass
    return 0


def _grade(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ._answers import ROOT
    from ._grade import Limits, grade, grade_submission, merge, summary

    if args.command == "merge":
        results = merge([Path(f) for f in args.results], Path(args.out))
        print(summary(results))
        print(f"gradebook: {Path(args.out) / 'gradebook.csv'}; feedback: {Path(args.out) / 'feedback'}/")
        return 0
    folder = Path(args.submission if args.command == "grade-one" else args.submissions)
    if not folder.is_dir():
        print(f"{folder} is not a folder", file=sys.stderr)
        return 2
    points = json.loads(Path(args.points).read_text()) if args.points else {}
    course = Path(args.course) if args.course else ROOT
    limits = Limits(submission_seconds=args.timeout, cell_seconds=args.cell_timeout, sandbox=not args.no_sandbox,
                    vetting=not args.no_vetting, memory_bytes=int(args.memory_gib * (1 << 30)))
    if args.command == "grade-one":
        result = grade_submission(folder, Path(args.out), args.learner, course, points, limits)
        why = f" ({result.reason})" if result.reason else ""
        print(f"{result.learner}: {result.total:g} points{why} -> {args.out}")
        return 0
    grade(folder, Path(args.out), jobs=args.jobs, course=course, points=points, limits=limits)
    print(f"gradebook: {Path(args.out) / 'gradebook.csv'}; feedback: {Path(args.out) / 'feedback'}/")
    return 0


def _check(ids: list[str]) -> int:
    from ._checks import CheckFailed, check
    from .registry import exercise_ids

    failed = 0
    for exercise_id in ids or exercise_ids():
        try:
            check(exercise_id)
        except CheckFailed as exc:
            failed += 1
            print(exc.message)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
