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


def splice(text: str, patch: str, leave_out: frozenset[str] = frozenset()) -> str:
    """`text` with each top-level function and class of `patch` in place of its namesake (appended when new),
    and `patch`'s other top-level statements (its imports, say) appended at the end.  Assignments to a name in
    `leave_out`, and `patch`'s docstring, are not carried over.

    Raises SyntaxError when either does not compile.
    """
    tree = ast.parse(patch)
    lines = patch.splitlines(keepends=True)
    rest = []
    for index, node in enumerate(tree.body):
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        source = "".join(lines[start - 1 : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            text = replace_function(text, node.name, source.rstrip("\n") + "\n")
        elif index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        elif isinstance(node, ast.Assign) and {getattr(t, "id", "") for t in node.targets} <= leave_out:
            continue
        else:
            rest.append(source)
    return text.rstrip("\n") + "\n" + ("\n\n" + "".join(rest) if rest else "")


def stub_of(text: str, names: list[str] | tuple[str, ...]) -> str:
    """The exercise file a learner starts from, made from the solution module `text`: each function in
    `names` keeps its signature, its docstring and the comment lines that open its body (the TODO), and the
    rest of its body becomes `raise NotImplementedError`.  Everything else in the module stays as it is."""
    for name in names:
        tree = ast.parse(text)
        node = next((n for n in tree.body if getattr(n, "name", None) == name), None)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            raise ValueError(f"the solution has no function {name}")
        lines = text.splitlines(keepends=True)
        first = node.body[0]
        has_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        head_end = first.end_lineno if has_docstring else node.body[0].lineno - 1  # last line kept as it is
        if not has_docstring:  # the signature may span lines: keep up to the line before the body
            head_end = max(head_end, node.lineno)
        todo = []
        for line in lines[head_end : node.end_lineno]:
            if not line.strip().startswith("#"):
                break
            todo.append(line)
        indent = " " * first.col_offset
        body = "".join(todo) + f"{indent}raise NotImplementedError\n"
        text = "".join(lines[:head_end]) + body + "".join(lines[node.end_lineno :])
    return text
