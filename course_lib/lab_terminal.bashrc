# The shell of a JupyterLab terminal opened from `make lab`: your usual bash setup first, then the Python that
# runs the course (its .venv) first on PATH, so `python -m course_lib ...` works as well as `.venv/bin/python ...`.
[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc
[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"
if [ -n "${COURSE_PYTHON_BIN:-}" ]; then
  export VIRTUAL_ENV="$(dirname "$COURSE_PYTHON_BIN")"
  export PATH="$COURSE_PYTHON_BIN:$PATH"
  hash -r
  echo "Course terminal: python is $(command -v python). Try: python -m course_lib progress"
fi
