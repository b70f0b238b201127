"""The files repo2docker reads to build the course's image (Binder, and a JupyterHub's single-user image):
runtime.txt names a Python the course supports, apt.txt installs exactly the programs the notebooks run, and
nothing hides the root files from repo2docker."""

import re

from conftest import ROOT

#: Each apt.txt package and the program of it the course looks up with shutil.which().
PROGRAM_OF_PACKAGE = {"nginx": "nginx", "curl": "curl", "wget": "wget", "strace": "strace"}

#: What a learner's cells run: the notebooks and the helpers they call (not the grader, whose bwrap is the
#: instructor's business, nor the tests, whose Chromium no learner needs).
LEARNER_CODE = [*sorted((ROOT / "notebooks").glob("*.ipynb")), *sorted((ROOT / "course_lib").glob("demos*.py")),
                ROOT / "course_lib" / "nginx.py"]  # fmt: skip


def supported_pythons() -> tuple[tuple[int, int], tuple[int, int]]:
    """The oldest and newest Python the course is tested on, as requirements.txt's header says."""
    header = (ROOT / "requirements.txt").read_text()
    found = re.search(r"CPython 3\.(\d+)-3\.(\d+)", header)
    assert found, "requirements.txt no longer says which Pythons the pins are tested on"
    return (3, int(found.group(1))), (3, int(found.group(2)))


def test_runtime_txt_names_a_supported_python():
    runtime = (ROOT / "runtime.txt").read_text().strip()
    found = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert found, f"repo2docker reads runtime.txt as python-X.Y, not {runtime!r}"
    version = (int(found.group(1)), int(found.group(2)))
    oldest, newest = supported_pythons()
    assert oldest <= version <= newest, f"runtime.txt asks for {version}, the course supports {oldest}-{newest}"
    # The Makefile refuses what is older than the oldest, so the two statements agree.
    assert f"sys.version_info < {oldest}" in (ROOT / "Makefile").read_text()


def apt_packages() -> list[str]:
    lines = (ROOT / "apt.txt").read_text().splitlines()
    return [line.partition("#")[0].strip() for line in lines if line.partition("#")[0].strip()]


def programs_the_course_runs() -> set[str]:
    text = "\n".join(path.read_text() for path in LEARNER_CODE)
    return set(re.findall(r'shutil\.which\(\\?"([\w.-]+)\\?"\)', text))


def test_apt_txt_installs_what_the_notebooks_run_and_nothing_else():
    packages = apt_packages()
    assert len(packages) == len(set(packages)), "a package is listed twice"
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", p) for p in packages), "repo2docker takes bare package names"
    unknown = [p for p in packages if p not in PROGRAM_OF_PACKAGE]
    assert unknown == [], f"apt.txt lists packages the course does not use: {unknown}"
    used = programs_the_course_runs()
    assert used, "found no shutil.which() in the notebooks: the search is broken"
    installed = {PROGRAM_OF_PACKAGE[p] for p in packages}
    assert used - installed == set(), f"the notebooks run programs apt.txt does not install: {used - installed}"
    assert installed - used == set(), f"apt.txt installs programs no notebook runs: {installed - used}"


def test_repo2docker_reads_the_root_files():
    # A binder/ or .binder/ folder would make repo2docker ignore requirements.txt, runtime.txt and apt.txt here.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    # Python packages come from the pinned requirements.txt alone: an environment.yml, setup.py or pyproject.toml
    # would switch repo2docker to another build pack or install the course a second time.
    for other in ("environment.yml", "setup.py", "pyproject.toml", "Pipfile", "install.R", "Project.toml"):
        assert not (ROOT / other).exists(), f"{other} changes how repo2docker builds the image"
    # Notebooks import the course beside them, wherever the image puts the repository.
    link = ROOT / "notebooks" / "course_lib"
    assert link.is_symlink() and str(link.readlink()) == "../course_lib"
    # jupyter-server-proxy (the browser's way to a kernel's port on a hub) enables itself when installed: no
    # postBuild is needed, and none is kept that could drift from requirements.txt.
    assert re.search(r"^jupyter[-_]server[-_]proxy==", (ROOT / "requirements.txt").read_text(), re.M | re.I)
    assert not (ROOT / "postBuild").exists()
