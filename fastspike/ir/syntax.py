"""Expressions and statements of generated code as Python syntax trees, and the passes on them.

Generated code is built from ``ast`` nodes, never by editing text: a name is renamed only
where it is a name (not inside ``round`` or a keyword argument), a 2-D index is rewritten
where it is an index. Helpers here parse small snippets (``expr("y0 * d0")``), and the
passes every backend shares work on trees: :class:`Rename`, :func:`assigned_names`,
:func:`names_in`.
"""
from __future__ import annotations

import ast
import copy
import inspect
import textwrap
import threading
from typing import Callable, Iterable

__all__ = ["parse", "compile_tree", "expr", "stmts", "name", "call", "subscript", "assign", "unparse", "Rename", "assigned_names",
           "names_in", "clone", "inlined"]


_AST_LOCK = threading.Lock()
"""CPython 3.11's conversions between syntax trees and their C form are not thread-safe (they
count their recursion depth in state shared by all threads: "AST constructor recursion depth
mismatch"); ranks of a :class:`~fastspike.parallel.local.LocalCluster`, threads of one
process, build their programs at the same time, so every parse and compile of a tree holds
this lock."""


def parse(text: str, mode: str = "exec") -> ast.AST:
    """``ast.parse(text, mode=mode)``, one thread at a time (see :data:`_AST_LOCK`)."""
    with _AST_LOCK:
        return ast.parse(text, mode=mode)


def compile_tree(tree: ast.Module, filename: str):
    """The code object of the module ``tree``, one thread at a time (see :data:`_AST_LOCK`)."""
    with _AST_LOCK:
        return compile(tree, filename, "exec")


def expr(text: str) -> ast.expr:
    """The syntax tree of the expression ``text``."""
    return parse(text, mode="eval").body


def stmts(text: str) -> list[ast.stmt]:
    """The syntax trees of the statements ``text`` (several lines allowed)."""
    return parse(text).body


def name(identifier: str, store: bool = False) -> ast.Name:
    return ast.Name(identifier, ast.Store() if store else ast.Load())


def call(function: str, *args: ast.expr | str) -> ast.Call:
    """``function(*args)``; string arguments are parsed as expressions."""
    return ast.Call(expr(function), [expr(a) if isinstance(a, str) else a for a in args], [])


def subscript(array: str, *index: ast.expr | str, store: bool = False) -> ast.Subscript:
    """``array[index]`` (one index) or ``array[i, j]``."""
    parts = [expr(x) if isinstance(x, str) else x for x in index]
    key = parts[0] if len(parts) == 1 else ast.Tuple(parts, ast.Load())
    return ast.Subscript(name(array), key, ast.Store() if store else ast.Load())


def assign(targets: str | Iterable[str], value: ast.expr | str) -> ast.Assign:
    """``a = value`` or, for several targets, ``a, b, = value`` (tuple unpacking)."""
    value = expr(value) if isinstance(value, str) else value
    if isinstance(targets, str):
        target: ast.expr = name(targets, store=True)
    else:
        target = ast.Tuple([name(t, store=True) for t in targets], ast.Store())
    return ast.Assign([target], value, lineno=0)


def unparse(nodes: ast.AST | list[ast.stmt], indent: int = 0) -> list[str]:
    """Source lines of a tree or a list of statements, indented by ``indent`` levels."""
    body = nodes if isinstance(nodes, list) else [nodes]
    if not body:
        return []
    text = ast.unparse(ast.fix_missing_locations(ast.Module(body=body, type_ignores=[])))
    pad = "    " * indent
    return [pad + line for line in text.splitlines()]


def clone(node):
    """A deep copy of a tree (passes rewrite trees in place)."""
    return copy.deepcopy(node)


class Rename(ast.NodeTransformer):
    """Rename the names of a mapping wherever they are names (loaded or stored)."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        new = self.mapping.get(node.id)
        return ast.copy_location(ast.Name(new, node.ctx), node) if new else node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        new = self.mapping.get(node.arg)
        if new:
            node.arg = new
        return node


def assigned_names(nodes: Iterable[ast.AST]) -> list[str]:
    """The names a list of statements binds (assignment and loop targets), in order."""
    out: list[str] = []
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and sub.id not in out:
                out.append(sub.id)
    return out


def names_in(node: ast.AST | Iterable[ast.AST]) -> set[str]:
    """Every name used (loaded or stored) in a tree or a list of trees."""
    nodes = node if isinstance(node, (list, tuple)) else [node]
    return {sub.id for n in nodes for sub in ast.walk(n) if isinstance(sub, ast.Name)}


_INLINE_NAMES = {"math", "min", "max", "abs"}
_INLINE: dict = {}


def inlined(fn: Callable, args: list[ast.expr]) -> ast.expr | None:
    """The expression of ``fn(*args)`` with the call inlined, for a scalar function whose body
    is one ``return <expression>`` of its arguments (``math`` functions, ``min``, ``max`` and
    ``abs`` allowed) without float literals (whose precision the compiler sets per network),
    each argument used once unless it is a name or a constant; None for any other function.
    The expression computes exactly what the call computes (same operations, same order),
    without a function for the compiler to build (``return I * factor``, ``return g``)."""
    if fn not in _INLINE:
        _INLINE[fn] = _inline_template(fn)
    template = _INLINE[fn]
    if template is None:
        return None
    params, body = template
    if len(args) != len(params):
        return None
    uses = {p: 0 for p in params}
    for node in ast.walk(body):
        if isinstance(node, ast.Name) and node.id in uses:
            uses[node.id] += 1
    for p, a in zip(params, args):
        if uses[p] > 1 and not isinstance(a, (ast.Name, ast.Constant)):
            return None
    out = _Substitute(dict(zip(params, args))).visit(clone(body))
    return out


def _inline_template(fn: Callable):
    try:
        tree = parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    f = tree.body[0]
    body = [st for st in f.body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]
    if f.decorator_list or len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    a = f.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
        return None
    params = [x.arg for x in a.args]
    value = body[0].value
    for node in ast.walk(value):
        if isinstance(node, ast.Name) and node.id not in params and node.id not in _INLINE_NAMES:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            return None
        if isinstance(node, (ast.Lambda, ast.NamedExpr, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            return None
    return params, value


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, ast.expr]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.mapping:
            return clone(self.mapping[node.id])
        return node
