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

Expressions are bounded, so that no file can make a run hang or exhaust memory: the checker
limits the text's length, its nesting (``MAX_DEPTH``), constant exponents (``MAX_POWER``),
format widths in literal format strings (``MAX_WIDTH``) and rejects numbers that are not
finite. What only the values can tell is checked while the expression runs: an operator that
may build a long string or tuple (``*``, ``+``, ``%``) or a huge integer (``*``, ``**``) is
compiled into a call of a small guard function (``_mul``, ``_add``, ``_mod``, ``_pow``) unless
the operands are numbers by construction, and a result over ``MAX_SIZE`` items or
``MAX_BITS`` bits raises ``LimitError``.

>>> e = check_expression("max(x, 2) + LIMIT", variables={"x"}, constants={"LIMIT"})
>>> to_source(e, constants={"LIMIT"})
'f_max(v_x, 2) + c_LIMIT'
"""
from __future__ import annotations

import ast
import math
import re
import sys
from typing import Any, Callable, Iterable

from .distributions import DISTRIBUTIONS
from .errors import LimitError, NetError

__all__ = [
    "CLOCK", "FUNCTIONS", "MAX_DEPTH", "MAX_POWER", "MAX_SIZE", "MAX_BITS", "MAX_WIDTH",
    "check_expression", "check_pattern", "is_pattern", "pattern_variables", "names_used",
    "to_source", "namespace", "compile_expression", "evaluate_closed",
]

#: Limits of one expression: nesting of its text, the exponent of a power, the items of a
#: string or tuple it builds, the bits of an integer it builds, a width in a format string.
MAX_DEPTH = 100
MAX_POWER = 64
MAX_SIZE = 100_000
MAX_BITS = 10_000
MAX_WIDTH = 1_000
_MAX_LENGTH = 10_000


def _float(x=0.0) -> float:
    """``float`` that refuses text naming a number that is not finite (``'inf'``, ``'nan'``)."""
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"float({x!r}) is not a finite number")
    return value


#: The only functions an inscription may call.
FUNCTIONS: dict[str, Callable] = {
    "min": min, "max": max, "abs": abs, "round": round, "int": int, "float": _float,
    "str": str, "bool": bool, "len": len, "sum": sum, "floor": math.floor, "ceil": math.ceil,
    **DISTRIBUTIONS,
    "time": lambda: 0,      # the clock; compiled to ``now``, 0 outside a run
}
#: Those of them whose result is always a number.
NUMERIC_FUNCTIONS = {"abs", "round", "int", "float", "bool", "len", "sum", "floor", "ceil"}

#: The name by which an inscription reads the run's clock (a reserved name, never a variable).
CLOCK = "clock"

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY = (ast.UAdd, ast.USub, ast.Not)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_MAX_POWER = MAX_POWER

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
    if isinstance(text, float) and not math.isfinite(text):
        raise NetError(f"{text!r} is not a finite number", element=where)
    text = str(text)
    if len(text) > _MAX_LENGTH:
        raise NetError(f"expression longer than {_MAX_LENGTH} characters", element=where)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        if "integer string conversion" in e.msg:
            raise NetError(f"an integer literal of more than {sys.get_int_max_str_digits()} digits "
                           f"in {_short(text)}", element=where) from None
        raise NetError(f"syntax error in {_short(text)}: {e.msg}", element=where) from None
    except (RecursionError, MemoryError):
        raise NetError(f"expression nested more than {MAX_DEPTH} levels deep", element=where) from None
    except ValueError as e:   # e.g. an integer literal of more than 4300 digits
        raise NetError(f"cannot read {_short(text)}: {e}", element=where) from None
    if _depth(tree.body) > MAX_DEPTH:
        raise NetError(f"expression nested more than {MAX_DEPTH} levels deep", element=where)
    return tree.body


def _short(text: str) -> str:
    """``text`` quoted for a message, cut to a readable length."""
    text = repr(text)
    return text if len(text) <= 80 else text[:77] + "..."


def _depth(tree: ast.AST) -> int:
    """The nesting depth of ``tree`` (counted without recursion: any depth is safe here)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, d = todo.pop()
        deepest = max(deepest, d)
        todo.extend((child, d + 1) for child in ast.iter_child_nodes(node))
    return deepest


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
        if isinstance(node.value, float) and not math.isfinite(node.value):
            _reject(node, text, "a number that is not finite", where)
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
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
                and isinstance(node.left.value, str):
            widest = max(_widths(node.left.value), default=0)
            if widest > MAX_WIDTH:
                _reject(node, text, f"a format width over {MAX_WIDTH} ({widest})", where)
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
    """Moves names into their namespaces and puts guards around operators that need them."""

    def __init__(self, constants, tables, numeric=()):
        self.constants, self.tables, self.numeric_names = constants, tables, set(numeric)

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

    def visit_BinOp(self, node):
        guard = _guard(node, self.is_numeric, self.is_bounded)
        self.generic_visit(node)
        if guard is None:
            return node
        call = ast.Call(ast.Name(guard, ast.Load()), [node.left, node.right], [])
        return ast.copy_location(call, node)

    def is_numeric(self, node) -> bool:
        """Whether ``node`` is a number whenever it evaluates at all."""
        num = self.is_numeric
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float))
        if isinstance(node, ast.Name):
            return node.id in self.numeric_names or node.id == CLOCK
        if isinstance(node, (ast.UnaryOp, ast.Compare)):
            return True
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op is ast.Add:
                return num(node.left) or num(node.right)
            if op is ast.Mult:
                return num(node.left) and num(node.right)
            if op is ast.Mod:
                return num(node.left)
            return True                     # -, /, //, **: numbers or an error
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name in NUMERIC_FUNCTIONS:
                return True
            return name in ("min", "max") and len(node.args) > 1 and all(map(num, node.args))
        if isinstance(node, ast.BoolOp):
            return all(map(num, node.values))
        if isinstance(node, ast.IfExp):
            return num(node.body) and num(node.orelse)
        if isinstance(node, ast.Subscript):
            return isinstance(node.value, ast.Name) and node.value.id in self.tables \
                and node.value.id in self.numeric_names
        return False

    def is_bounded(self, node) -> bool:
        """Whether ``node`` is a number of a size that no token value can make grow."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float))
        if isinstance(node, ast.Name):
            return (node.id in self.constants and node.id in self.numeric_names) or node.id == CLOCK
        if isinstance(node, ast.Subscript):
            return self.is_numeric(node)
        if isinstance(node, ast.UnaryOp):
            return self.is_bounded(node.operand)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div):
                return self.is_numeric(node)
            return not isinstance(node.op, ast.Pow) and self.is_bounded(node.left) \
                and self.is_bounded(node.right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id in ("float", "len", "bool")
        return isinstance(node, ast.Compare)


def _guard(node: ast.BinOp, numeric, bounded) -> str | None:
    """The guard function ``node``'s operator needs, or None when its operands cannot make
    the result grow past the limits (numbers of bounded size)."""
    op, left, right = type(node.op), node.left, node.right
    if op is ast.Pow:
        return "_pow"
    if op is ast.Mult:
        safe = numeric(left) and numeric(right) and (bounded(left) or bounded(right))
        return None if safe else "_mul"
    if op is ast.Add:
        return None if numeric(left) or numeric(right) else "_add"
    if op is ast.Mod:
        return None if numeric(left) else "_mod"
    return None


def to_source(tree: ast.expr, constants: Iterable[str] = (), tables: Iterable[str] = (),
              numeric: Iterable[str] = ()) -> str:
    """Python source for a checked tree, every name moved into its namespace.

    Names not in ``constants``, ``tables`` or ``FUNCTIONS`` are taken as variables.
    ``numeric`` names the constants, tables (every value) and variables known to hold
    numbers: operators on them need no guard.
    """
    import copy
    tree = copy.deepcopy(tree)
    return ast.unparse(_Rename(set(constants), set(tables), numeric).visit(tree))


def numeric_names(constants: dict, tables: dict) -> set[str]:
    """The constants holding a number and the tables whose every value is a number."""
    def number(x):
        return isinstance(x, (int, float))
    return ({name for name, value in constants.items() if number(value)}
            | {name for name, table in tables.items()
               if all(map(number, getattr(table, "rows", {}).values()))})


# ---------------------------------------------------------------------------------------------
# Guards the generated code calls
# ---------------------------------------------------------------------------------------------

_FORMAT = re.compile(r"%(\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.S)


def _number(digits: str) -> int:
    return int(digits) if len(digits) < 10 else 10 ** 10


def _widths(fmt: str) -> list[int]:
    """The widths and precisions written as numbers in a %-format string."""
    return [_number(g) for m in _FORMAT.finditer(fmt) for g in m.group(2, 3)
            if g and g != "*"]


def _too_big(what: str, size: int, unit: str = "items", limit: int = MAX_SIZE):
    return LimitError(f"{what} would have {size:,} {unit}, over the limit of {limit:,}")


_KIND = {str: "text", tuple: "tuple"}


def _mul(a, b):
    """``a * b``, refusing a string or tuple over ``MAX_SIZE`` items or an integer over
    ``MAX_BITS`` bits."""
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_BITS + 1:
            raise _too_big("the product", a.bit_length() + b.bit_length(), "bits", MAX_BITS)
    elif isinstance(a, (str, tuple)) and isinstance(b, int) and len(a) * b > MAX_SIZE:
        raise _too_big(f"the repeated {_KIND.get(type(a), 'value')}", len(a) * b)
    elif isinstance(b, (str, tuple)) and isinstance(a, int) and len(b) * a > MAX_SIZE:
        raise _too_big(f"the repeated {_KIND.get(type(b), 'value')}", len(b) * a)
    return a * b


def _add(a, b):
    """``a + b``, refusing a string or tuple over ``MAX_SIZE`` items."""
    if isinstance(a, (str, tuple)) and isinstance(b, (str, tuple)) and len(a) + len(b) > MAX_SIZE:
        raise _too_big(f"the joined {_KIND.get(type(a), 'value')}", len(a) + len(b))
    return a + b


def _pow(a, b):
    """``a ** b``, refusing an integer over ``MAX_BITS`` bits and results that are no real
    number."""
    if isinstance(a, int) and isinstance(b, int) and b > 0 and (a.bit_length() - 1) * b > MAX_BITS:
        raise _too_big("the power", (a.bit_length() - 1) * b, "bits", MAX_BITS)
    result = a ** b
    if isinstance(result, complex):
        raise ValueError(f"{a!r} ** {b!r} is not a real number")
    return result


def _mod(a, b):
    """``a % b``; for a format string, refusing a result over ``MAX_SIZE`` characters."""
    if isinstance(a, str):
        args = b if isinstance(b, tuple) else (b,)
        size, k = len(a), 0
        for m in _FORMAT.finditer(a):
            if m.group(4) == "%" and not (m.group(2) or m.group(3)):
                continue
            for g in m.group(2, 3):
                if g == "*":
                    w = args[k] if k < len(args) else 0
                    k += 1
                    size += abs(w) if isinstance(w, int) else 0
                elif g:
                    size += _number(g)
            if m.group(1) is None and k < len(args):
                arg = args[k]
                size += len(arg) if isinstance(arg, str) else len(repr(arg)) \
                    if isinstance(arg, tuple) else 0
            k += 1
        if size > MAX_SIZE:
            raise _too_big("the formatted text", size, "characters")
    return a % b


_GUARDS = {"_mul": _mul, "_add": _add, "_pow": _pow, "_mod": _mod}


def namespace(constants: dict, tables: dict) -> dict:
    """The globals generated code runs in: functions, constants, tables and the guards of
    operators, no builtins."""
    ns: dict[str, Any] = {"__builtins__": {}}
    ns.update(_GUARDS)
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
    src = to_source(tree, constants, tables, numeric_names(constants, tables))
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
