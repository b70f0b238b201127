"""What the grader refuses in a learner's exercise module before running it: the known ways to change a verdict
from inside the kernel.

The checks run in the same process as the learner's code (they measure laziness and memory there), and Python has
no isolation inside a process, so module-level code could patch a check in memory (`course_lib._checks`), replace
a library the checks use (`httpx.Client = Fake`), or walk frames and `__globals__` to reach both.  The sandbox
(`_isolation.py`) keeps a submission away from everyone else; this reads the module's syntax tree and refuses the
tools those routes need, none of which an answer needs:

- importing interpreter internals (`sys`, `gc`, `ctypes`, `inspect`, `importlib`, `builtins`, `types`, ... and any
  module whose name starts with `_`), or any of `course_lib` but `from course_lib.support.chNN | data | measure
  import <names>`;
- `eval`, `exec`, `compile`, `__import__`, `vars`, `locals`, `globals` (but `"name" in globals()` and
  `globals().get|setdefault|pop` of a plain name), `setattr`, `delattr`, `breakpoint`, and
  `getattr` other than `getattr(obj, "a plain name")`; `pickle` and its kin (loading calls any function);
- a special name in a string (`globals()["__builtins__"]` reaches `__import__` by subscript), a name from the
  course's modules that is not in their `__all__` (`from course_lib.measure import gc` is a module they use), and
  an imported module used as a value rather than through its attributes (`m = httpx`, `patch(httpx)`);
- any attribute whose name starts with `_` (`__globals__`, `__dict__`, `obj._private`; reading `__name__` and the
  like is fine), the attributes that lead to
  frames or tracers (`f_globals`, `tb_frame`, `gi_frame`, `settrace`, ...), attribute access by computed name
  (`operator.attrgetter`, `string.Formatter().get_field`), and starting other processes, whose code is not read;
- assigning to, or deleting, an attribute of anything the module imported (`httpx.Client = ...`).

This makes the known forgeries fail before any code runs, with a reason the instructor can read; it does not prove
a module harmless (no static check of Python can). The README's threat model says what is left.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "vet"]

DENIED_MODULES = frozenset({
    "sys", "gc", "ctypes", "inspect", "importlib", "builtins", "types", "marshal", "dis", "code", "codeop", "pickle",
    "copyreg", "shelve", "dill", "cloudpickle", "pdb", "bdb", "trace", "faulthandler", "runpy", "pkgutil", "site",
    "sysconfig", "subprocess", "multiprocessing", "pty", "posix", "nt",
})  # fmt: skip
DENIED_CALLS = frozenset({"eval", "exec", "compile", "__import__", "vars", "globals", "locals", "setattr", "delattr",
                          "breakpoint", "__builtins__"})  # fmt: skip
#: Special attributes an answer may read: names and protocol methods, which lead nowhere further.
HARMLESS_DUNDERS = frozenset({
    "__name__", "__qualname__", "__doc__", "__module__", "__init__", "__next__", "__anext__", "__iter__", "__aiter__",
    "__enter__", "__exit__", "__aenter__", "__aexit__", "__len__", "__contains__", "__getitem__",
})  # fmt: skip
_FRAMES = ("f_globals", "f_locals", "f_back", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next", "gi_frame",
           "cr_frame", "ag_frame", "gi_code", "cr_code", "ag_code", "settrace", "setprofile", "modules", "cell_contents")
_COMPUTED = ("attrgetter", "methodcaller", "get_field", "Formatter")
_PROCESSES = ("system", "popen", "fork", "forkpty", "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp",
              "execvpe", "spawnv", "spawnve", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnvp", "spawnvpe",
              "posix_spawn", "posix_spawnp")
DENIED_ATTRIBUTES = {
    **dict.fromkeys(_FRAMES, "leads to frames, tracers or the loaded modules"),
    **dict.fromkeys(_COMPUTED, "reaches attributes by a computed name"),
    **dict.fromkeys(_PROCESSES, "starts another process, whose code is not read"),
}
#: What of the course an exercise module may import from: what it builds on, and the notebooks' public helpers.
ALLOWED_COURSE_MODULES = ("course_lib.support.", "course_lib.data", "course_lib.measure")
COURSE_LIB = Path(__file__).resolve().parent
SPECIAL_NAME = re.compile(r"__\w+__")


@functools.lru_cache(maxsize=None)
def public_names(module: str) -> frozenset[str]:
    """The `__all__` of a course module, read from its source (the instructor's copy, never imported here)."""
    path = COURSE_LIB.joinpath(*module.split(".")[1:]).with_suffix(".py")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return frozenset()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


@dataclass(frozen=True)
class Finding:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


class _Vetter(ast.NodeVisitor):
    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.imported: set[str] = set()  # names bound by import statements: modules and imported objects
        self.modules: set[str] = set()  # names bound by `import m`: used only as `m.attribute`

    def refuse(self, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), what))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name, f"import {alias.name}")
            if alias.name.split(".")[0] == "course_lib":
                self.refuse(node, f"import {alias.name} (use `from course_lib.support.chNN import <names>`)")
            self.imported.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.refuse(node, f"a relative import (from {'.' * node.level}{module} import ...)")
        self._check_module(node, module, f"from {module} import ...")
        if module.split(".")[0] == "course_lib" and not module.startswith(ALLOWED_COURSE_MODULES):
            self.refuse(node, f"from {module} import ... (an answer may import from course_lib.support.chNN, "
                              f"course_lib.data and course_lib.measure)")  # fmt: skip
        course = module.split(".")[0] == "course_lib" and module.startswith(ALLOWED_COURSE_MODULES)
        for alias in node.names:
            if alias.name == "*" or alias.name.startswith("_") or alias.name in DENIED_ATTRIBUTES.keys() | DENIED_CALLS:
                self.refuse(node, f"from {module} import {alias.name}")
            elif course and alias.name not in public_names(module):
                self.refuse(node, f"from {module} import {alias.name} (not one of the names it offers: its __all__)")
            self.imported.add(alias.asname or alias.name)

    def _check_module(self, node: ast.AST, module: str, said: str) -> None:
        top = module.split(".")[0]
        if top == "course_lib":
            return  # the course's own rule, in the visitors
        if top in DENIED_MODULES or top.startswith("_") or any(part.startswith("_") for part in module.split(".")):
            self.refuse(node, f"{said} (interpreter internals: not needed by any answer)")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.modules:  # visit_Attribute lets `module.attribute` through without visiting this name
            self.refuse(node, f"uses the module {node.id} as a value (only `{node.id}.<name>` is let through)")
        elif node.id in DENIED_CALLS:
            self.refuse(node, f"{node.id}")
        elif node.id == "getattr":  # getattr(obj, "plain") is let through by visit_Call, without visiting this name
            self.refuse(node, "getattr other than getattr(obj, \"a plain name\")")

    def visit_Call(self, node: ast.Call) -> None:
        if _own_global(node):  # globals().setdefault("cursor", None): one plain name of the module's own
            for child in [*node.args[1:], *node.keywords]:
                self.visit(child)
            return
        if isinstance(node.func, ast.Name) and node.func.id == "getattr":
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and not name.value.startswith("_"):
                for child in [*node.args, *node.keywords]:
                    self.visit(child)
                return
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if _is_globals_call(node.comparators[-1]) and isinstance(node.ops[-1], (ast.In, ast.NotIn)):
            self.visit(node.left)  # "SHARED" not in globals(): asks for a name, reaches nothing
            for child in node.comparators[:-1]:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        text = node.value if isinstance(node.value, str) else ""
        if SPECIAL_NAME.fullmatch(text) and text not in HARMLESS_DUNDERS | {"__main__"}:
            self.refuse(node, f"the special name {text!r} in a string")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_") and (node.attr not in HARMLESS_DUNDERS or not isinstance(node.ctx, ast.Load)):
            self.refuse(node, f".{node.attr} (a private or special attribute)")
        elif node.attr in DENIED_ATTRIBUTES:
            self.refuse(node, f".{node.attr} ({DENIED_ATTRIBUTES[node.attr]})")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and _root(node) in self.imported:
            self.refuse(node, f"changes {ast.unparse(node)}, which the module imported")
        if not (isinstance(node.value, ast.Name) and node.value.id in self.modules):
            self.generic_visit(node)


def _own_global(call: ast.Call) -> bool:
    """`globals().get|setdefault|pop("plain_name", ...)`: what answers use globals() for, and nothing else."""
    method, key = call.func, call.args[0] if call.args else None
    return (isinstance(method, ast.Attribute) and method.attr in ("get", "setdefault", "pop")
            and _is_globals_call(method.value)
            and isinstance(key, ast.Constant) and isinstance(key.value, str) and not key.value.startswith("_"))  # fmt: skip


def _is_globals_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "globals"
            and not node.args and not node.keywords)  # fmt: skip


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def vet(source: str) -> list[Finding]:
    """What in `source` the grader refuses, in line order; [] for a module it runs."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # the notebooks report a syntax error themselves, with the learner's line
    vetter = _Vetter()
    for node in ast.walk(tree):  # imports first, wherever they are, so that later statements know the names
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            vetter.imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Import):
            vetter.modules.update((a.asname or a.name).split(".")[0] for a in node.names)
    vetter.visit(tree)
    return sorted(set(vetter.findings), key=lambda f: (f.line, f.what))
