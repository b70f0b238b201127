# Two commands set everything up on a fresh machine:  make lab   and   make test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
ROOT   := $(CURDIR)

.PHONY: lab test setup bench clean test-matrix stubs

## lab: create .venv if needed, install what changed, open JupyterLab on notebooks/ (127.0.0.1 only).
## Its terminals (File > New > Terminal) run bash with the course's Python first on PATH (lab_terminal.bashrc);
## Jupyter logs only warnings, so the link to open stands out; lab_contents.py keeps a notebook unchanged on
## opening.  Root needs --allow-root (containers run as root).
lab: setup
	@echo "Starting JupyterLab for the course. Open the http://127.0.0.1 link printed below; Ctrl-C stops it."
	@COURSE_PYTHON_BIN="$(abspath $(dir $(PY)))" $(PY) -m jupyter lab --ServerApp.ip=127.0.0.1 \
		--ServerApp.root_dir="$(ROOT)" --Application.log_level=WARN \
		--ServerApp.contents_manager_class=course_lib.lab_contents.CourseContentsManager \
		--LabApp.default_url=/lab/tree/notebooks/01_chunk_generators.ipynb \
		--ServerApp.terminado_settings='{"shell_command": ["bash", "--rcfile", "$(ROOT)/course_lib/lab_terminal.bashrc"]}' \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

## test: the same setup, then every test (unit tests, both directions of every check, notebooks under nbval)
test: setup
	$(PY) -m pytest

## test-matrix: every test on each Python 3.10-3.13 found (PATH, pyenv shims, pyenv versions), each in its own
## .venv-3.X, then a pass/fail table; 3.10 is reported as unsupported. MATRIX_PYTEST_ARGS, MATRIX_VERSIONS narrow it
test-matrix:
	@bash .ci/test-matrix

## bench: throughput, memory and serve() figures, measured side by side in one run (not part of make test)
bench: setup
	$(PY) -m bench

## setup: .venv with Python 3.11+, requirements installed only when requirements.txt changed
setup:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "This course needs Python 3.11 or newer, but '$(PYTHON)' is: $$($(PYTHON) --version 2>&1)."; \
		echo "Install a newer Python, or name one: make PYTHON=python3.12 lab"; exit 1; }
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		echo "$(VENV) was made with an older Python; making it again."; rm -rf $(VENV); fi
	@[ -x $(PY) ] || { echo "Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@if ! cmp -s requirements.txt $(VENV)/requirements.installed; then \
		echo "Installing requirements.txt into $(VENV) (a few minutes the first time)"; \
		$(PY) -m pip install --disable-pip-version-check -qq -r requirements.txt && \
		cp requirements.txt $(VENV)/requirements.installed; \
	fi
	@$(PY) -c 'import site, sys; open(site.getsitepackages()[0] + "/stream-course.pth", "w").write(sys.argv[1] + "\n")' "$(ROOT)"

## stubs: for course authors: write exercises/ again from solutions/ (each answer's body becomes its TODO and
## `raise NotImplementedError`). It overwrites exercises/, so a learner's answers there are lost.
stubs: setup
	$(PY) -c 'import course_lib._answers as a; a.write_exercise_stubs()'

clean:
	rm -rf $(VENV) .venv-3.* .course .pytest_cache test-artifacts
