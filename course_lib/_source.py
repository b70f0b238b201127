"""Finding and swapping one top-level function in a module's source text, leaving the rest as it is.

Used by reset() (a stub back in place of one answer), by the solution view, and by the tests that build a
learner's file from pieces.  Decorators belong to the function they decorate.
"""

from __future__ import annotations

import ast


def _span(tree: ast.Module, name: str) -> tuple[int, int] | None:
    """1-based first and last line of the top-level function or class `name`, decorators included."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return start, node.end_lineno or node.lineno
    return None


def function_source(text: str, name: str) -> str | None:
    """The source of `name` in the module `text` (ending in a newline), or None if it is not there.

    Raises SyntaxError when `text` does not compile.
    """
    span = _span(ast.parse(text), name)
    if span is None:
        return None
    return "\n".join(text.splitlines()[span[0] - 1 : span[1]]) + "\n"


def replace_function(text: str, name: str, new_source: str) -> str:
    """`text` with `name` swapped for `new_source`; appended at the end when `text` has no `name`.

    Raises SyntaxError when `text` does not compile.
    """
    span = _span(ast.parse(text), name)
    if span is None:
        return text.rstrip("\n") + "\n\n\n" + new_source
    lines = text.splitlines(keepends=True)
    return "".join(lines[: span[0] - 1]) + new_source + "".join(lines[span[1] :])
