"""Inscriptions: a safe subset of Python for guards, arc inscriptions, delays and weights.

Text is parsed with ``ast`` and checked node by node against a whitelist; nothing of a net
file is ever executed before it passes. Allowed: literals, names of bound variables, constants
and tables, arithmetic, comparisons, boolean operators, conditional expressions, tuples,
subscripts, calls of the functions in ``FUNCTIONS`` (a few builtins, the seeded random draws
of ``petri.distributions``, and ``time()``), and ``clock``: ``time()`` and ``clock`` are both the
run's current time (``now`` in generated code; 0 in state spaces, where time is ignored).
Checked expressions are turned back
into Python source with every name renamed into its own namespace (``v_`` variables,
``c_`` constants, ``t_`` tables, ``f_`` functions), so that the engine can compile them into
its generated code once.

>>> e = check_expression("max(x, 2) + LIMIT", variables={"x"}, constants={"LIMIT"})
>>> to_source(e, constants={"LIMIT"})
'f_max(v_x, 2) + c_LIMIT'
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable, Iterable

from .distributions import DISTRIBUTIONS
from .model import NetError

__all__ = [
    "CLOCK", "FUNCTIONS", "check_expression", "check_pattern", "is_pattern", "pattern_variables", "names_used",
    "to_source", "namespace", "compile_expression", "evaluate_closed",
]

#: The only functions an inscription may call.
FUNCTIONS: dict[str, Callable] = {
    "min": min, "max": max, "abs": abs, "round": round, "int": int, "float": float,
    "str": str, "bool": bool, "len": len, "sum": sum, "floor": math.floor, "ceil": math.ceil,
    **DISTRIBUTIONS,
    "time": lambda: 0,      # the clock; compiled to ``now``, 0 outside a run
}

#: The name by which an inscription reads the run's clock (a reserved name, never a variable).
CLOCK = "clock"

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY = (ast.UAdd, ast.USub, ast.Not)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_MAX_POWER = 64
_MAX_LENGTH = 10_000

_WHAT = {
    ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.ListComp: "comprehension",
    ast.SetComp: "comprehension", ast.DictComp: "comprehension", ast.GeneratorExp: "generator",
    ast.NamedExpr: "assignment expression", ast.JoinedStr: "f-string",
    ast.Starred: "starred expression", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Dict: "dict display", ast.Set: "set display",
    ast.List: "list display", ast.Slice: "slice",
}


def _parse(text: Any, where: str) -> ast.expr:
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise NetError(f"expected an expression (text or number), got {text!r}", element=where)
    text = str(text)
    if len(text) > _MAX_LENGTH:
        raise NetError(f"expression longer than {_MAX_LENGTH} characters", element=where)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise NetError(f"syntax error in {text!r}: {e.msg}", element=where) from None
    return tree.body


def check_expression(text, *, variables: Iterable[str] = (), constants: Iterable[str] = (),
                     tables: Iterable[str] = (), where: str = "") -> ast.expr:
    """Parse ``text`` and reject everything outside the safe subset.

    Raises ``NetError`` naming ``where`` and the offending text.
    """
    tree = _parse(text, where)
    scope = _Scope(set(variables), set(constants), set(tables))
    _check(tree, scope, str(text), where)
    return tree


class _Scope:
    def __init__(self, variables, constants, tables):
        self.variables, self.constants, self.tables = variables, constants, tables

    def kind(self, name: str) -> str | None:
        if name == CLOCK:
            return "k"
        if name in self.variables:
            return "v"
        if name in self.constants:
            return "c"
        if name in self.tables:
            return "t"
        if name in FUNCTIONS:
            return "f"
        return None


def _reject(node: ast.AST, text: str, what: str, where: str):
    part = ast.get_source_segment(text.strip(), node) or ast.unparse(node)
    raise NetError(f"{what} is not allowed in an expression: {part!r}", element=where)


def _check(node: ast.AST, scope: _Scope, text: str, where: str) -> None:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str, bool)) and node.value is not None:
            _reject(node, text, "this literal", where)
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            _reject(node, text, "a name starting with an underscore", where)
        if node.id in ("True", "False", "None"):
            return
        kind = scope.kind(node.id)
        if kind is None:
            raise NetError(f"unknown name {node.id!r} in {text.strip()!r} (not a bound variable, "
                           f"constant, table or allowed function)", element=where)
        if kind == "f":
            _reject(node, text, "a function used as a value", where)
        return
    if isinstance(node, ast.Tuple):
        for elt in node.elts:
            _check(elt, scope, text, where)
        return
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, _BINOPS):
            _reject(node, text, f"the operator {type(node.op).__name__}", where)
        if isinstance(node.op, ast.Pow):
            exp = node.right
            if not (isinstance(exp, ast.Constant) and isinstance(exp.value, (int, float))
                    and not isinstance(exp.value, bool) and abs(exp.value) <= _MAX_POWER):
                _reject(node, text, f"a power whose exponent is not a number literal up to "
                        f"{_MAX_POWER}", where)
        _check(node.left, scope, text, where)
        _check(node.right, scope, text, where)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, _UNARY):
            _reject(node, text, f"the operator {type(node.op).__name__}", where)
        _check(node.operand, scope, text, where)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, scope, text, where)
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if not isinstance(op, _CMPOPS):
                _reject(node, text, f"the comparison {type(op).__name__}", where)
        _check(node.left, scope, text, where)
        for c in node.comparators:
            _check(c, scope, text, where)
        return
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            _check(part, scope, text, where)
        return
    if isinstance(node, ast.Subscript):
        _check(node.value, scope, text, where)
        _check(node.slice, scope, text, where)
        return
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                and scope.kind(node.func.id) == "f"):
            _reject(node, text, "calling anything but " + ", ".join(FUNCTIONS), where)
        if node.keywords:
            _reject(node, text, "a keyword argument", where)
        if node.func.id == "time" and node.args:
            _reject(node, text, "an argument to time()", where)
        for a in node.args:
            _check(a, scope, text, where)
        return
    _reject(node, text, _WHAT.get(type(node), type(node).__name__), where)


# ---------------------------------------------------------------------------------------------
# Patterns (input arc inscriptions)
# ---------------------------------------------------------------------------------------------

def is_pattern(tree: ast.expr) -> bool:
    """Whether ``tree`` is a pure pattern: variables, literals, constants and tuples of these."""
    if isinstance(tree, ast.Constant):
        return isinstance(tree.value, (int, float, str, bool))
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return isinstance(tree.operand, ast.Constant) and isinstance(tree.operand.value, (int, float))
    if isinstance(tree, ast.Name):
        return tree.id not in FUNCTIONS
    if isinstance(tree, ast.Tuple):
        return all(is_pattern(e) for e in tree.elts)
    return False


def check_pattern(text, *, variables: Iterable[str] | None = None, constants: Iterable[str] = (),
                  tables: Iterable[str] = (), where: str = "") -> ast.expr:
    """Parse an input-arc inscription.

    A pure pattern (a variable, a literal, a constant or a tuple of these) binds its
    variables; a variable may appear more than once, all occurrences matching equal values.
    Any other inscription is an expression that may use only ``variables`` (those bound by
    the transition's patterns), constants and tables, e.g. ``(i + 1) % N``.
    """
    tree = _parse(text, where)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            _reject(node, str(text), "a name starting with an underscore", where)
        if isinstance(node, ast.Name) and node.id == CLOCK:
            raise NetError(f"{CLOCK!r} is the run's clock and cannot be matched on an input arc: "
                           f"{str(text).strip()!r}", element=where)
    if is_pattern(tree):
        return tree
    constants, tables = set(constants), set(tables)
    if variables is None:   # not known here: every other plain name may be a variable
        variables = {n for n in names_used(tree)} - constants - tables - set(FUNCTIONS)
    _check(tree, _Scope(set(variables), constants, tables), str(text), where)
    return tree


def pattern_variables(tree: ast.expr, constants: Iterable[str] = ()) -> list[str]:
    """The variables a pattern binds, in order of first appearance."""
    constants = set(constants)
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in constants \
                and node.id not in ("True", "False", "None") and node.id not in seen:
            seen.append(node.id)
    return seen


def names_used(tree: ast.expr) -> set[str]:
    """The names an expression mentions, ``clock`` left out (it is never a variable)."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id != CLOCK}


# ---------------------------------------------------------------------------------------------
# Code
# ---------------------------------------------------------------------------------------------

class _Rename(ast.NodeTransformer):
    def __init__(self, constants, tables):
        self.constants, self.tables = constants, tables

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "time" and not node.args:
            return ast.copy_location(ast.Name("now", ast.Load()), node)
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in ("True", "False", "None"):
            return node
        if node.id == CLOCK:    # the generated code's clock argument
            return ast.copy_location(ast.Name("now", node.ctx), node)
        if node.id in self.constants:
            prefix = "c_"
        elif node.id in self.tables:
            prefix = "t_"
        elif node.id in FUNCTIONS:
            prefix = "f_"
        else:
            prefix = "v_"
        return ast.copy_location(ast.Name(prefix + node.id, node.ctx), node)


def to_source(tree: ast.expr, constants: Iterable[str] = (), tables: Iterable[str] = ()) -> str:
    """Python source for a checked tree, every name moved into its namespace.

    Names not in ``constants``, ``tables`` or ``FUNCTIONS`` are taken as variables.
    """
    import copy
    tree = copy.deepcopy(tree)
    return ast.unparse(_Rename(set(constants), set(tables)).visit(tree))


def namespace(constants: dict, tables: dict) -> dict:
    """The globals generated code runs in: functions, constants and tables, no builtins."""
    ns: dict[str, Any] = {"__builtins__": {}}
    ns.update({"f_" + k: v for k, v in FUNCTIONS.items()})
    ns.update({"c_" + k: v for k, v in constants.items()})
    ns.update({"t_" + k: v for k, v in tables.items()})
    return ns


def compile_expression(text, *, variables: Iterable[str] = (), constants: dict | None = None,
                       tables: dict | None = None, where: str = "") -> Callable[..., Any]:
    """Check ``text`` and compile it into a function of the variables (keyword arguments).

    >>> f = compile_expression("x * k", variables=["x"], constants={"k": 3})
    >>> f(x=2)
    6
    """
    constants, tables = constants or {}, tables or {}
    variables = list(variables)
    tree = check_expression(text, variables=variables, constants=constants, tables=tables,
                            where=where)
    src = to_source(tree, constants, tables)
    args = ", ".join(["v_" + v for v in variables] + ["now=0"])
    code = f"def _expr({args}):\n    return {src}\n"
    ns = namespace(constants, tables)
    exec(compile(code, f"<{where or 'expression'}>", "exec"), ns)  # checked tree only
    fn = ns["_expr"]

    def call(**binding):
        return fn(*(binding[v] for v in variables))

    call.source = src
    return call


def evaluate_closed(text, *, constants: dict | None = None, tables: dict | None = None,
                    where: str = "") -> Any:
    """Evaluate an expression that uses no variables (e.g. a constant's derived value)."""
    f = compile_expression(text, constants=constants, tables=tables, where=where)
    try:
        return f()
    except Exception as e:  # evaluation errors of a checked expression: say which
        raise NetError(f"cannot evaluate {str(text)!r}: {e}", element=where) from None
