"""The bad-input corpus: every file format and command option, each case a wrong input and the
message it must get.

Add a case by appending a ``Case(name, argv, files, expect)`` to one of the lists below (or a
new list added to ``CASES``): ``files`` maps file names to their text (or bytes), ``argv`` is
the ``petri`` command line run in the folder holding them, ``expect`` a distinctive part of
the message on standard error. ``tests/test_bad_input_corpus.py`` runs them all.
"""
from __future__ import annotations

import json

from bad_input import Case

# ---------------------------------------------------------------------------------------------
# A valid net the cases break one piece at a time
# ---------------------------------------------------------------------------------------------

PROC = "product,seconds\nA,3\nB,4\n"

NET = """\
[net]
name = "line"

[colours]
Product = ["A", "B"]
Job = { product = ["Product", "int"], timed = true }

[constants]
SETUP = 2

[tables.proc]
file = "proc.csv"
key = "product"
value = "seconds"

[places.raw]
colour = "Product"
initial = ["A", "B"]

[places.idle]
initial = 1

[places.done]
colour = "Job"

[transitions.work]
guard = "p != 'C'"
delay = "proc[p] + SETUP"
inputs = [{ place = "raw", inscription = "p" }, "idle"]
outputs = [{ place = "done", inscription = "(p, 1)" }, "idle"]
"""

#: An untimed coloured net with an int variable, for run-time failures of inscriptions.
COUNTER = """\
[places.a]
colour = "{colour}"
initial = [{initial}]

[places.b]
colour = "{out}"

[transitions.t]
inputs = [{{ place = "a", inscription = "x" }}]
outputs = [{{ place = "b", inscription = {expression} }}]
"""


def net(old: str | None = None, new: str = "", text: str = NET) -> dict:
    """The files of the valid net with ``old`` replaced by ``new``."""
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    return {"net.toml": text, "proc.csv": PROC}


def counter(expression: str, initial: str = "1", colour: str = "int", out: str = "int") -> dict:
    return {"net.toml": COUNTER.format(expression=json.dumps(expression), initial=initial,
                                       colour=colour, out=out)}


def validate(name, files, expect, *extra) -> Case:
    return Case(f"validate/{name}", ["validate", "net.toml", *extra], files, expect)


def simulate(name, files, expect, *extra) -> Case:
    return Case(f"simulate/{name}", ["simulate", "net.toml", *extra], files, expect)


# ---------------------------------------------------------------------------------------------
# TOML nets: form
# ---------------------------------------------------------------------------------------------

TOML = [
    validate("empty-file", {"net.toml": ""}, "net.toml: the file holds no net"),
    validate("only-comments", {"net.toml": "# nothing\n\n"}, "net.toml: the file holds no net"),
    validate("only-name", {"net.toml": "[net]\nname = 'x'\n"}, "net.toml: the net has no place and no transition"),
    simulate("empty-file", {"net.toml": ""}, "net.toml: the file holds no net"),
    validate("not-toml", {"net.toml": "this is not toml\n"}, "net.toml: malformed TOML"),
    validate("unclosed-string", {"net.toml": "[net]\nname = 'x\n"}, "malformed TOML"),
    validate("binary", {"net.toml": b"\x00\xff\xfe\x80garbage"}, "not UTF-8 text"),
    validate("latin1", {"net.toml": "[net]\nname = 'caf\xe9'\n".encode("latin-1")}, "not UTF-8 text"),
    validate("duplicate-key", {"net.toml": "[net]\nname = 'a'\nname = 'b'\n"}, "malformed TOML"),
    validate("deep-arrays", {"net.toml": "x = " + "[" * 5000 + "]" * 5000 + "\n"},
             "nested too deeply"),
    validate("deep-inline-tables", {"net.toml": "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"},
             "nested too deeply"),
    validate("deep-array-in-place", net('initial = ["A", "B"]', "initial = " + "[" * 3000 + "]" * 3000),
             "nested too deeply"),
    validate("unknown-top-key", net("[net]", "colors = 1\n[net]"), "unknown top-level key 'colors'"),
    validate("net-not-table", {"net.toml": "net = 3\n[places.a]\n"}, "[net] must be a table"),
    validate("name-not-text", net('name = "line"', "name = 3"), "name must be text"),
    validate("places-not-table", net("[places.raw]", "places = 3\n[places_.raw]"),
             "unknown top-level key 'places_'"),
    validate("place-not-table", net("[places.idle]\ninitial = 1", "[places]\nidle = 3"),
             "a place must be a table"),
    validate("place-unknown-key", net("initial = 1", "initial = 1\ncolor = 'dot'"),
             "unknown key 'color'"),
    validate("place-empty-name", {"net.toml": '[places]\n"" = {}\n'}, "a place needs a non-empty name"),
    validate("place-unknown-colour", net('colour = "Job"', 'colour = "Jobs"'),
             "unknown colour set 'Jobs'"),
    validate("initial-negative", net("initial = 1", "initial = -1"), "cannot be negative"),
    validate("initial-float", net("initial = 1", "initial = 1.5"), "initial must be a count"),
    validate("initial-not-in-colour", net('initial = ["A", "B"]', 'initial = ["A", "Z"]'),
             "initial token 'Z' is not in colour set 'Product'"),
    validate("initial-table", net('initial = ["A", "B"]', 'initial = [{ colour = "A", count = -2 }]'),
             "count must be a positive integer"),
    validate("initial-time-negative", net('initial = ["A", "B"]', 'initial = [{ colour = "A", time = -1 }]'),
             "time must be a finite number, 0 or more"),
    validate("initial-time-inf", net('initial = ["A", "B"]', 'initial = [{ colour = "A", time = inf }]'),
             "time must be a finite number, 0 or more"),
    validate("initial-time-nan", net('initial = ["A", "B"]', 'initial = [{ colour = "A", time = nan }]'),
             "time must be a finite number, 0 or more"),
    validate("initial-time-untimed", net('initial = ["A", "B"]', 'initial = [{ colour = "A", time = 5 }]'),
             "has time 5 but colour set 'Product' is untimed"),
    validate("timed-tokens-too-many",
             net('colour = "Job"', 'colour = "Job"\ninitial = [{ colour = ["A", 1], count = 1000000000000 }]'),
             "over the limit of 1,000,000"),
    validate("capacity-negative", net("initial = 1", "initial = 1\ncapacity = -1"),
             "capacity cannot be negative"),
    validate("capacity-text", net("initial = 1", "initial = 1\ncapacity = 'x'"),
             "capacity must be an integer"),
    validate("capacity-below-initial", net("initial = 1", "initial = 2\ncapacity = 1"),
             "more than the capacity 1"),
    validate("position-nan", net("initial = 1", "initial = 1\nposition = [nan, 1]"),
             "position must be two numbers"),
    validate("position-three", net("initial = 1", "initial = 1\nposition = [1, 2, 3]"),
             "position must be two numbers"),
    validate("colour-empty-enum", net('Product = ["A", "B"]', "Product = []"),
             "an enumeration needs at least one value"),
    validate("colour-twice-in-enum", net('Product = ["A", "B"]', 'Product = ["A", "A"]'),
             "an enumeration lists a value twice"),
    validate("colour-self-product", net('Product = ["A", "B"]', 'Product = ["A", "B"]\nLoop = { product = ["Loop", "int"] }'),
             "a product cannot contain itself"),
    validate("colour-unknown-component", net('["Product", "int"]', '["Product", "nat"]'),
             "unknown colour set 'nat'"),
    validate("colour-builtin-redeclared", net('Product = ["A", "B"]', 'Product = ["A", "B"]\nint = ["x"]'),
             "a builtin colour set cannot be redeclared"),
    validate("colour-int-bounds", net('Product = ["A", "B"]', 'Product = ["A", "B"]\nSmall = { int = [5, 1] }'),
             "colour set 'Small'"),
    validate("constant-inf", net("SETUP = 2", "SETUP = inf"), "a constant must be text, a finite number"),
    validate("constant-nan", net("SETUP = 2", "SETUP = nan"), "a constant must be text, a finite number"),
    validate("constant-minus-inf", net("SETUP = 2", "SETUP = -inf"), "a constant must be text, a finite number"),
    validate("constant-date", net("SETUP = 2", "SETUP = 1979-05-27"), "a constant must be text"),
    validate("constant-table", net("SETUP = 2", "SETUP = { a = 1 }"), "a constant must be text"),
    validate("constant-underscore", net("SETUP = 2", "SETUP = 2\n_hidden = 1"), "underscore"),
    validate("constant-function-name", net("SETUP = 2", "SETUP = 2\nmax = 1"), "the name of a function"),
    validate("constant-keyword", net("SETUP = 2", "SETUP = 2\nlambda = 1"), "cannot be used in expressions"),
    validate("variable-unknown-colour", net("[constants]", '[variables]\nq = "Nope"\n\n[constants]'),
             "unknown colour set 'Nope'"),
    validate("variable-not-text", net("[constants]", "[variables]\nq = 3\n\n[constants]"),
             "variable 'q'"),
    validate("transition-not-table", net("[transitions.work]", "[transitions]\nx = 1\n[transitions.work]"),
             "a transition must be a table"),
    validate("transition-unknown-key", net('guard = "p', 'gaurd = 1\nguard = "p'),
             "unknown key 'gaurd'"),
    validate("transition-priority-text", net('guard = "p', 'priority = "high"\nguard = "p'),
             "priority must be an integer"),
    validate("transition-controllable-text", net('guard = "p', 'controllable = "yes"\nguard = "p'),
             "controllable must be true or false"),
    validate("guard-number", net("guard = \"p != 'C'\"", "guard = 3"), "guard must be an expression"),
    validate("inputs-not-list", net('inputs = [{ place = "raw", inscription = "p" }, "idle"]', 'inputs = "raw"'),
             "inputs must be a list of arcs"),
    validate("arc-unknown-place", net('"idle"]\noutputs', '"idel"]\noutputs'), "unknown place 'idel'"),
    validate("arc-no-place", net('{ place = "raw", inscription = "p" }', '{ inscription = "p" }'),
             "an arc needs a place"),
    validate("arc-number", net('"idle"]\noutputs', '3]\noutputs'), "an arc must be a place name"),
    validate("arc-unknown-key", net('{ place = "raw", inscription = "p" }', '{ place = "raw", inscription = "p", wieght = 2 }'),
             "unknown key 'wieght'"),
    validate("arc-weight-negative", net('{ place = "raw", inscription = "p" }', '{ place = "raw", inscription = "p", weight = -1 }'),
             "weight"),
    validate("arc-weight-float", net('{ place = "raw", inscription = "p" }', '{ place = "raw", inscription = "p", weight = 1.5 }'),
             "weight must be an integer"),
    validate("output-weight-negative", net('{ place = "done", inscription = "(p, 1)" }', '{ place = "done", inscription = "(p, 1)", weight = -2 }'),
             "weight must be an integer (0 or more)"),
    validate("output-not-in-colour", net('inscription = "(p, 1)"', 'inscription = "(p, 1, 2)"'),
             "is never a token of colour set 'Job'"),
    validate("output-literal-not-in-colour", net('inscription = "(p, 1)"', "inscription = \"('Z', 1)\""),
             "is never a token of colour set 'Job'"),
    validate("dot-arc-inscription", net('"idle"]\noutputs', '{ place = "idle", inscription = "p" }]\noutputs'),
             "idle"),
    validate("read-arc-unknown", net('"idle"]\noutputs', '"idle"]\nreads = ["nowhere"]\noutputs'),
             "unknown place 'nowhere'"),
    validate("inhibitor-weight-zero", net('"idle"]\noutputs', '"idle"]\ninhibitors = [{ place = "done", weight = 0 }]\noutputs'),
             "weight"),
    validate("free-variable-infinite", net("guard = \"p != 'C'\"", "guard = \"q > 1\"\n"),
             "'q'"),
]

# ---------------------------------------------------------------------------------------------
# Expressions: rejected when the net is checked
# ---------------------------------------------------------------------------------------------

_GUARDS = [
    ("import", "__import__('os')", "calling anything but min, max"),
    ("import-name", "__import__", "a name starting with an underscore"),
    ("dunder-class", "p.__class__", "attribute access"),
    ("attribute", "p.upper()", "calling anything but"),
    ("lambda", "(lambda: 1)()", "calling anything but"),
    ("lambda-value", "lambda: 1", "lambda is not allowed"),
    ("list-comp", "[x for x in 'ab']", "comprehension is not allowed"),
    ("gen-exp", "sum(x for x in 'ab')", "generator is not allowed"),
    ("set-comp", "{x for x in 'ab'}", "comprehension is not allowed"),
    ("dict-display", "{1: 2}", "dict display is not allowed"),
    ("set-display", "{1, 2}", "set display is not allowed"),
    ("list-display", "[1, 2]", "list display is not allowed"),
    ("f-string", "f'{p}'", "f-string is not allowed"),
    ("walrus", "(y := 1)", "assignment expression is not allowed"),
    ("starred", "max(*p)", "starred expression is not allowed"),
    ("slice", "p[0:1] == 'A'", "slice is not allowed"),
    ("keyword-arg", "round(1.5, ndigits=1) > 0", "a keyword argument is not allowed"),
    ("eval", "eval('1')", "calling anything but"),
    ("open", "open('x')", "calling anything but"),
    ("getattr", "getattr(p, 'x')", "calling anything but"),
    ("unknown-name", "q == 1", "variable 'q' is not bound by any input arc"),
    ("builtins", "__builtins__", "a name starting with an underscore"),
    ("function-as-value", "max", "a function used as a value"),
    ("bitwise", "1 << 100000", "the operator LShift"),
    ("bitwise-and", "1 & 2", "the operator BitAnd"),
    ("matmul", "p @ p", "the operator MatMult"),
    ("is", "p is None", "the comparison Is"),
    ("invert", "~1", "the operator Invert"),
    ("await", "await p", "await is not allowed"),
    ("yield", "(yield)", "yield"),
    ("syntax", "p !=", "syntax error"),
    ("statement", "import os", "syntax error"),
    ("semicolon", "1; 2", "syntax error"),
    ("bytes", "b'x'", "this literal is not allowed"),
    ("complex", "1j", "this literal is not allowed"),
    ("ellipsis", "...", "this literal is not allowed"),
    ("inf-literal", "1e999 > 1", "a number that is not finite is not allowed"),
    ("huge-int-literal", "9" * 5000 + " > 1", "an integer literal of more than 4300 digits"),
    ("power-tower", "9**9**9 > 1", "a power whose exponent is not a number literal up to 64"),
    ("power-big-exponent", "2 ** 100 > 1", "a power whose exponent is not a number literal up to 64"),
    ("power-variable-exponent", "2 ** len(p) > 1", "a power whose exponent is not a number literal"),
    ("format-width", "'%1000000d' % 1 == ''", "a format width over 1000"),
    ("format-precision", "'%.5000f' % 1 == ''", "a format width over 1000"),
    ("deep-parens", "(" * 250 + "1" + ")" * 250 + " > 0", "too many nested parentheses"),
    ("deep-unary", "-" * 5000 + "1 > 0", "nested more than 100 levels deep"),
    ("deep-not", "not " * 2000 + "True", "nested more than 100 levels deep"),
    ("deep-tuple", "(" * 120 + "1" + ",)" * 120 + " == p", "nested more than 100 levels deep"),
    ("deep-calls", "abs(" * 150 + "1" + ")" * 150 + " > 0", "nested"),
    ("long-text", "p == '" + "a" * 20000 + "'", "expression longer than 10000 characters"),
    ("long-sum", " + ".join(["1"] * 2000) + " > 0", "nested more than 100 levels deep"),
    ("null-byte", "p == 'a\x00'", "syntax error"),
]

EXPRESSIONS = [validate(f"guard-{name}", net("guard = \"p != 'C'\"", f"guard = {json.dumps(text)}"), expect)
               for name, text, expect in _GUARDS]
EXPRESSIONS += [
    validate("delay-inf", net('delay = "proc[p] + SETUP"', "delay = inf"),
             "a delay must be a finite number or an expression, got inf"),
    validate("delay-nan", net('delay = "proc[p] + SETUP"', "delay = nan"),
             "a delay must be a finite number or an expression, got nan"),
    validate("delay-minus-inf", net('delay = "proc[p] + SETUP"', "delay = -inf"),
             "a delay must be a finite number or an expression, got -inf"),
    validate("delay-negative", net('delay = "proc[p] + SETUP"', "delay = -1"),
             "a delay cannot be negative, got -1"),
    validate("delay-bool", net('delay = "proc[p] + SETUP"', "delay = true"), "delay must be"),
    validate("delay-array", net('delay = "proc[p] + SETUP"', "delay = [1]"), "delay must be"),
    validate("delay-import", net('delay = "proc[p] + SETUP"', "delay = \"__import__('os').getpid()\""),
             "calling anything but"),
    validate("delay-inf-literal", net('delay = "proc[p] + SETUP"', 'delay = "1e999"'),
             "a number that is not finite"),
    validate("delay-unknown-table", net('delay = "proc[p] + SETUP"', 'delay = "prok[p]"'),
             "variable 'prok' is not bound by any input arc"),
    validate("arc-delay-inf", net('{ place = "done", inscription = "(p, 1)" }', '{ place = "done", inscription = "(p, 1)", delay = inf }'),
             "a delay must be a finite number or an expression, got inf"),
    validate("arc-delay-negative", net('{ place = "done", inscription = "(p, 1)" }', '{ place = "done", inscription = "(p, 1)", delay = -5 }'),
             "a delay cannot be negative"),
    validate("inscription-import", net('inscription = "(p, 1)"', "inscription = \"__import__('os')\""),
             "calling anything but"),
    validate("inscription-attribute", net('inscription = "(p, 1)"', "inscription = \"(p.lower(), 1)\""),
             "calling anything but"),
    validate("input-inscription-call", net('inscription = "p" }', "inscription = \"open(p)\" }"),
             "calling anything but"),
    validate("weight-expression-import", net('{ place = "done", inscription = "(p, 1)" }', '{ place = "done", inscription = "(p, 1)", weight = "__import__(1)" }'),
             "calling anything but"),
    validate("weight-expression-syntax", net('{ place = "done", inscription = "(p, 1)" }', '{ place = "done", inscription = "(p, 1)", weight = "1 +" }'),
             "syntax error"),
]

# ---------------------------------------------------------------------------------------------
# Expressions: failing while the net runs
# ---------------------------------------------------------------------------------------------

RUNTIME = [
    simulate("division-by-zero", counter("10 // (x - 1)"),
             "net.toml: transition 't': output arc 1 (b) '10 // (x - 1)': integer division or modulo by zero (x=1, time 0)"),
    simulate("modulo-by-zero", counter("x % (x - 1)"),
             "net.toml: transition 't': output arc 1 (b) 'x % (x - 1)': integer modulo by zero (x=1, time 0)"),
    simulate("true-division-by-zero", counter("int(x / 0)"), "division by zero (x=1, time 0)"),
    simulate("missing-table-row", net('Product = ["A", "B"]', 'Product = ["A", "B", "C"]')
             | {"net.toml": net('Product = ["A", "B"]', 'Product = ["A", "B", "C"]')["net.toml"]
                .replace("guard = \"p != 'C'\"", "guard = \"p != 'D'\"")
                .replace('initial = ["A", "B"]', 'initial = ["C"]')},
             "net.toml: transition 'work': delay 'proc[p] + SETUP': table proc has no row 'C' (p='C', time 0)"),
    simulate("text-times-huge", counter("str(x) * 10**12", colour="int", out="str"),
             "output arc 1 (b) 'str(x) * 10**12': the repeated text would have 1,000,000,000,000 items, over the limit of 100,000 (x=1, time 0)"),
    simulate("text-times-huge-left", counter("10**12 * str(x)", out="str"), "the repeated text would have"),
    simulate("tuple-times-huge", counter("len((x,) * 10**9)"), "the repeated tuple would have 1,000,000,000 items"),
    simulate("format-star-width", counter("'%*d' % (10**9, x)", out="str"),
             "the formatted text would have 1,000,000,"),
    simulate("format-star-precision", counter("'%.*f' % (10**8, x)", out="str"), "the formatted text would have"),
    simulate("format-mapping-width", counter("'%*s' % (x * 10**7, 'a')", out="str"), "the formatted text would have"),
    simulate("power-tower-runtime", counter("((((x + 8)**64)**64)**64)**64"),
             "the power would have"),
    simulate("power-complex", counter("int((x - 2) ** 0.5)"), "is not a real number"),
    simulate("power-float-overflow", counter("int(10.0 ** 64 * 1e300)"), "cannot convert float infinity to integer"),
    simulate("int-product-huge", counter("(x + 4**64)**64 * (x + 4**64)**64"),
             "the product would have 16,386 bits, over the limit of 10,000"),
    simulate("int-of-text", counter("int('x' + str(x))"), "invalid literal for int()"),
    simulate("float-inf-text", counter("int(float('inf'))"), "float('inf') is not a finite number"),
    simulate("float-nan-text", counter("int(float('nan'))"), "float('nan') is not a finite number"),
    simulate("type-error", counter("x + 'a'", out="str"), "unsupported operand type(s) for +: 'int' and 'str' (x=1, time 0)"),
    simulate("compare-error", counter("x if x < 'a' else 0"), "'<' not supported between instances of 'int' and 'str'"),
    simulate("len-of-int", counter("len(x)"), "object of type 'int' has no len()"),
    simulate("subscript-int", counter("x[0]"), "'int' object is not subscriptable"),
    simulate("index-out-of-range", counter("str(x)[5]", out="str"), "string index out of range"),
    simulate("not-in-colour-set", counter("x + 1", out="Small").copy() | {"net.toml": "[colours]\nSmall = { int = [0, 1] }\n" + COUNTER.format(expression='"x + 1"', initial="1", colour="int", out="Small")},
             "output arc 1 (b): inscription 'x + 1' gives a token not in colour set Small: 2 (x=1, time 0)"),
    simulate("text-doubling", {"net.toml": "[places.a]\ncolour = 'str'\ninitial = ['ab']\n\n[transitions.t]\n"
                               "inputs = [{ place = 'a', inscription = 's' }]\n"
                               "outputs = [{ place = 'a', inscription = 's + s' }]\n"},
             "the joined text would have 131,072 items, over the limit of 100,000"),
    simulate("format-doubling", {"net.toml": "[places.a]\ncolour = 'str'\ninitial = ['ab']\n\n[transitions.t]\n"
                                 "inputs = [{ place = 'a', inscription = 's' }]\n"
                                 "outputs = [{ place = 'a', inscription = \"'%s%s' % (s, s)\" }]\n"},
             "the formatted text would have"),
    simulate("int-squaring", {"net.toml": "[places.a]\ncolour = 'int'\ninitial = [3]\n\n[transitions.t]\n"
                              "inputs = [{ place = 'a', inscription = 'x' }]\n"
                              "outputs = [{ place = 'a', inscription = 'x * x' }]\n"},
             "the product would have"),
    simulate("guard-failing", counter("x") | {"net.toml": COUNTER.format(expression='"x"', initial="0", colour="int", out="int")
                                              .replace("[transitions.t]", "[transitions.t]\nguard = \"10 / x > 1\"")},
             "net.toml: transition 't': guard '10 / x > 1': division by zero (x=0, time 0)"),
    simulate("input-expression-failing", {"net.toml": "[places.a]\ncolour = 'int'\ninitial = [1]\n\n[places.b]\ncolour = 'int'\ninitial = [0]\n\n"
                                          "[transitions.t]\ninputs = [{ place = 'a', inscription = 'x' }, { place = 'b', inscription = 'x // (x - 1)' }]\n"},
             "input arc 2 'x // (x - 1)': integer division or modulo by zero (x=1, time 0)"),
    simulate("weight-negative-runtime", {"net.toml": "[places.a]\ncolour = 'int'\ninitial = [1]\n\n[places.b]\n\n"
                                         "[transitions.t]\ninputs = [{ place = 'a', inscription = 'x' }]\n"
                                         "outputs = [{ place = 'b', weight = 'x - 5' }]\n"},
             "output arc 1 (b): weight 'x - 5' must be an integer of 0 or more, got -4 (x=1, time 0)"),
    simulate("weight-text-runtime", {"net.toml": "[places.a]\ncolour = 'str'\ninitial = ['s']\n\n[places.b]\n\n"
                                     "[transitions.t]\ninputs = [{ place = 'a', inscription = 'x' }]\n"
                                     "outputs = [{ place = 'b', weight = 'x' }]\n"},
             "weight 'x' must be an integer of 0 or more, got 's'"),
    simulate("delay-negative-runtime", net('delay = "proc[p] + SETUP"', 'delay = "proc[p] - 10"'),
             "net.toml: transition 'work': delay 'proc[p] - 10' must be a finite number of 0 or more, got -"),
    simulate("delay-text-runtime", net('delay = "proc[p] + SETUP"', 'delay = "p"'),
             "delay 'p' must be a finite number of 0 or more, got '"),
    simulate("delay-huge-float", net('delay = "proc[p] + SETUP"', 'delay = "proc[p] * 1e308 * 10"'),
             "must be a finite number of 0 or more, got inf"),
    simulate("arc-delay-negative-runtime", net('{ place = "done", inscription = "(p, 1)" }', '{ place = "done", inscription = "(p, 1)", delay = "-proc[p]" }'),
             "output arc 1 (done): delay '-proc[p]' must be a finite number of 0 or more, got -"),
    simulate("delay-missing-row-oldest", net('Product = ["A", "B"]', 'Product = ["A", "B", "C"]')
             | {"net.toml": NET.replace('Product = ["A", "B"]', 'Product = ["A", "B", "C"]')
                .replace("guard = \"p != 'C'\"", "guard = \"proc[p] > 0\"")
                .replace('initial = ["A", "B"]', 'initial = ["C"]')},
             "guard 'proc[p] > 0': table proc has no row 'C' (p='C', time 0)", "--choice", "oldest"),
    Case("reach/guard-failing", ["reach", "net.toml"],
         {"net.toml": COUNTER.format(expression='"x"', initial="0", colour="int", out="int")
          .replace("[transitions.t]", "[transitions.t]\nguard = \"10 / x > 1\"")},
         "net.toml: transition 't': guard '10 / x > 1': division by zero (x=0)"),
    Case("reach/output-failing", ["reach", "net.toml"], counter("10 // (x - 1)"),
         "output arc 1 (b) '10 // (x - 1)': integer division or modulo by zero (x=1)"),
]

# ---------------------------------------------------------------------------------------------
# CSV tables
# ---------------------------------------------------------------------------------------------


def table(csv: str | bytes, name: str = "proc.csv") -> dict:
    return {"net.toml": NET, "proc.csv": csv} if name == "proc.csv" else {"net.toml": NET, name: csv}


CSV = [
    validate("csv-missing", {"net.toml": NET}, "CSV file 'proc.csv' not found"),
    validate("csv-empty", table(""), "CSV file 'proc.csv' is empty"),
    validate("csv-header-only", table("product,seconds\n"), "is empty: it has a header but no rows"),
    validate("csv-missing-column", table("product,secs\nA,3\n"), "has no column 'seconds'"),
    validate("csv-missing-key-column", table("prod,seconds\nA,3\n"), "has no column 'product'"),
    validate("csv-duplicate-key", table("product,seconds\nA,3\nA,4\n"), "has key 'A' twice: lines 2 and 3"),
    validate("csv-empty-cell", table("product,seconds\nA,\nB,4\n"), "line 2: empty cell"),
    validate("csv-inf", table("product,seconds\nA,inf\nB,4\n"), "CSV file 'proc.csv' line 2: seconds must be a finite number, not 'inf'"),
    validate("csv-nan", table("product,seconds\nA,nan\nB,4\n"), "CSV file 'proc.csv' line 2: seconds must be a finite number, not 'nan'"),
    validate("csv-minus-inf", table("product,seconds\nA,-inf\nB,4\n"), "line 2: seconds must be a finite number, not '-inf'"),
    validate("csv-binary", table(b"\x00\x01\x02\xff\xfe"), "proc.csv"),
    validate("csv-latin1", table("product,seconds\nA\xe9,3\n".encode("latin-1")), "proc.csv"),
    validate("csv-ragged", table("product,seconds\nA,3,9,9\nB,4\n"), "proc.csv"),
    validate("csv-unclosed-quote", table('product,seconds\n"A,3\nB,4\n'), "proc.csv"),
    validate("csv-folder", {"net.toml": NET, "proc.csv/x": "a"}, "proc.csv"),
    validate("csv-no-file-key", net('file = "proc.csv"\n', ""), "a table needs file"),
    validate("csv-key-empty-list", net('key = "product"', "key = []"), "key must be a column name"),
    validate("csv-key-number", net('key = "product"', "key = 3"), "key must be a column name"),
    validate("csv-value-number", net('value = "seconds"', "value = 3"), "value must be a column name"),
    validate("csv-table-not-table", net('[tables.proc]\nfile = "proc.csv"\nkey = "product"\nvalue = "seconds"', "[tables]\nproc = 3"),
             "a table must be a TOML table"),
    simulate("csv-text-value", table("product,seconds\nA,fast\nB,slow\n"),
             "delay 'proc[p] + SETUP': can only concatenate str (not \"int\") to str (p="),
]

# ---------------------------------------------------------------------------------------------
# Several files: fragments and fusion
# ---------------------------------------------------------------------------------------------

FRAGMENT = "[transitions.use]\ninputs = ['stock']\noutputs = ['stock']\n"
FILES = [
    Case("validate/fragment", ["validate", "part.toml"], {"part.toml": FRAGMENT},
         "part.toml: transition 'use': input arc 1: unknown place 'stock'"),
    Case("validate/fragment-hint", ["validate", "part.toml"], {"part.toml": FRAGMENT},
         "part.toml may be a part of a net: load it with the files that declare what it uses (stock)"),
    Case("validate/fragment-sibling", ["validate", "part.toml"], {"part.toml": FRAGMENT, "base.toml": "[places.stock]\ninitial = 1\n"},
         "e.g. petri validate base.toml part.toml"),
    Case("validate/no-such-file", ["validate", "nowhere.toml"], {}, "nowhere.toml: no such file"),
    Case("validate/folder", ["validate", "dir"], {"dir/x": ""}, "dir: is a directory"),
    Case("simulate/no-such-file", ["simulate", "nowhere.toml"], {}, "nowhere.toml: no such file"),
    Case("reach/no-such-file", ["reach", "nowhere.toml"], {}, "nowhere.toml"),
    Case("export/no-such-file", ["export", "--to", "dot", "nowhere.toml"], {}, "nowhere.toml"),
    Case("invariants/no-such-file", ["invariants", "nowhere.toml"], {}, "nowhere.toml"),
    Case("validate/fused-colour-clash", ["validate", "a.toml", "b.toml"],
         {"a.toml": "[places.p]\ncolour = 'int'\n", "b.toml": "[places.p]\ncolour = 'str'\n[transitions.t]\ninputs=['q']\n"},
         "b.toml"),
    Case("validate/unknown-kind", ["validate", "notes.txt"], {"notes.txt": "hello\n"}, "notes.txt"),
    Case("simulate/empty-net", ["simulate", "net.toml"], {"net.toml": "[net]\nname = 'x'\n"},
         "net.toml: the net has no place and no transition"),
    Case("reach/empty-file", ["reach", "net.toml"], {"net.toml": ""}, "net.toml: the file holds no net"),
    Case("invariants/empty-file", ["invariants", "net.toml"], {"net.toml": ""}, "net.toml: the file holds no net"),
    Case("export/empty-file", ["export", "--to", "pnml", "net.toml"], {"net.toml": ""}, "net.toml: the file holds no net"),
]

# ---------------------------------------------------------------------------------------------
# PNML
# ---------------------------------------------------------------------------------------------

PT = """<?xml version="1.0"?>
<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml"><net id="n" type="http://www.pnml.org/version-2009/grammar/ptnet"><page id="g">
<place id="p1"><initialMarking><text>{marking}</text></initialMarking></place>
<transition id="t1"/>
<arc id="a1" source="p1" target="t1"><inscription><text>{weight}</text></inscription></arc>
<arc id="a2" source="t1" target="{target}"/>
</page></net></pnml>
"""


def pt(marking="1", weight="1", target="p1") -> dict:
    return {"net.pnml": PT.format(marking=marking, weight=weight, target=target)}


def coloured(guard: str) -> dict:
    """A net in this toolkit's coloured PNML dialect whose transition has ``guard``."""
    return {"net.pnml": '<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">'
                        '<net id="n" type="urn:petri-flow:pnml:coloured-net:1"><page id="g">'
                        '<place id="a"><toolspecific tool="petri-flow" version="1" colour="int">'
                        '<token count="1">1</token></toolspecific></place>'
                        f'<transition id="t"><condition><text>{guard}</text></condition></transition>'
                        '<arc id="x" source="a" target="t"><hlinscription><text>x</text>'
                        '</hlinscription></arc></page></net></pnml>'}


PNML = [
    Case("reach/pnml-malformed", ["reach", "net.pnml"], {"net.pnml": "<pnml><net"}, "net.pnml"),
    Case("reach/pnml-empty", ["reach", "net.pnml"], {"net.pnml": ""}, "net.pnml"),
    Case("reach/pnml-binary", ["reach", "net.pnml"], {"net.pnml": b"\x00\xff\x13"}, "net.pnml"),
    Case("reach/pnml-no-net", ["reach", "net.pnml"], {"net.pnml": "<pnml/>"}, "net.pnml"),
    Case("reach/pnml-not-pnml", ["reach", "net.pnml"], {"net.pnml": "<html><body/></html>"}, "net.pnml"),
    Case("reach/pnml-unknown-target", ["reach", "net.pnml"], pt(target="p9"), "p9"),
    Case("reach/pnml-negative-marking", ["reach", "net.pnml"], pt(marking="-3"), "net.pnml"),
    Case("reach/pnml-text-marking", ["reach", "net.pnml"], pt(marking="lots"), "net.pnml"),
    Case("reach/pnml-huge-marking", ["reach", "net.pnml"], pt(marking="9" * 5000), "net.pnml"),
    Case("reach/pnml-text-weight", ["reach", "net.pnml"], pt(weight="x"), "net.pnml"),
    Case("reach/pnml-zero-weight", ["reach", "net.pnml"], pt(weight="0"), "net.pnml"),
    Case("reach/pnml-entity-expansion", ["reach", "net.pnml"],
         {"net.pnml": '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                      '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><pnml>&b;</pnml>'}, "net.pnml"),
    Case("reach/pnml-external-entity", ["reach", "net.pnml"],
         {"net.pnml": '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                      '<pnml>&e;</pnml>'}, "net.pnml"),
    Case("reach/pnml-deep", ["reach", "net.pnml"], {"net.pnml": "<a>" * 100000 + "</a>" * 100000}, "net.pnml"),
    Case("export/pnml-guard-import", ["export", "--to", "toml", "net.pnml"],
         coloured("__import__('os')"),
         "net.pnml: transition 't': guard: calling anything but"),
    Case("reach/pnml-guard-import", ["reach", "net.pnml"],
         coloured("__import__('os')"),
         "calling anything but"),
    Case("export/pnml-guard-attribute", ["export", "--to", "toml", "net.pnml"],
         coloured("x.__class__"),
         "attribute access is not allowed"),
    Case("export/pnml-guard-syntax", ["export", "--to", "toml", "net.pnml"],
         coloured("x =="), "syntax error"),
    Case("validate/pnml-guard-import", ["validate", "net.pnml"],
         coloured("__import__('os')"),
         "calling anything but"),
    Case("reach/pnml-guard-unknown-name", ["reach", "net.pnml"], coloured("y &gt; 1"), "net.pnml: transition 't': guard"),
    Case("export/pnml-guard-open", ["export", "--to", "dot", "net.pnml"], coloured("open('x') == 1"), "calling anything but"),
    Case("validate/pnml-guard-long", ["validate", "net.pnml"], coloured("x == " + "1 + " * 3000 + "1"), "expression longer than 10000 characters"),
    Case("validate/pnml-guard-deep", ["validate", "net.pnml"], coloured("-" * 500 + "x == 1"), "nested more than 100 levels deep"),
    Case("validate/pnml-malformed", ["validate", "net.pnml"], {"net.pnml": "<pnml><net"}, "net.pnml"),
]

# ---------------------------------------------------------------------------------------------
# Command options
# ---------------------------------------------------------------------------------------------

_NUMBERS = {
    ("simulate", "--until"): ["nan", "inf", "-inf", "-1", "abc", ""],
    ("simulate", "--max-firings"): ["-1", "1.5", "nan", "x", "1e3"],
    ("simulate", "--seed"): ["-1", "1.5", "nan", "4294967296", "x"],
    ("reach", "--max-states"): ["0", "-1", "1.5", "nan", "x"],
    ("reach", "--time-limit"): ["0", "-1", "nan", "inf", "x"],
    ("reach", "--max-memory"): ["0", "-2", "nan", "inf", "x"],
    ("train", "--episodes"): ["-1", "1.5", "nan", "100000000000"],
    ("train", "--seed"): ["-1", "x", "nan"],
    ("train", "--checkpoint-every"): ["0", "-1", "x"],
    ("experiment", "--seed"): ["-1", "nan", "x"],
    ("experiment", "--workers"): ["0", "-1", "1000000", "x"],
    ("experiment", "--generalise"): ["-1", "nan", "x"],
    ("experiment", "--case"): ["0", "-1", "x"],
    ("play", "--port"): ["-1", "65536", "x", "80.5"],
    ("play", "--seed"): ["-1", "nan"],
    ("schedule", "--time-limit"): ["nan", "inf", "-1"],
    ("schedule", "--seed"): ["-1", "x"],
    ("generate-plant", "--jobs"): ["0", "100001", "x"],
    ("generate-plant", "--machines"): ["0", "1.5"],
    ("generate-plant", "--hours"): ["0", "nan", "inf", "1e8"],
    ("generate-plant", "--seed"): ["-1"],
    ("train-scheduler", "--instances"): ["0", "x"],
    ("train-scheduler", "--checkpoint-every"): ["0"],
    ("train-scheduler", "--seed"): ["nan"],
    ("train-scheduler", "--validation"): ["0", "17", "x"],
}
_NEEDS_NET = {"simulate", "reach", "play"}
_NEEDS = {"schedule": ["ft06.txt"], "generate-plant": ["-o", "plant"]}

OPTIONS = [
    Case(f"{command}/option{option}={value or 'empty'}",
         [command, *(["net.toml"] if command in _NEEDS_NET else _NEEDS.get(command, [])), f"{option}={value}"],
         net() if command in _NEEDS_NET else {}, f"argument {option}: must be", 2)
    for (command, option), values in _NUMBERS.items() for value in values
]
OPTIONS += [
    Case("simulate/unknown-option", ["simulate", "net.toml", "--untill", "3"], net(), "unrecognized arguments", 2),
    Case("simulate/choice", ["simulate", "net.toml", "--choice", "best"], net(), "argument --choice: invalid choice", 2),
    Case("simulate/events-suffix", ["simulate", "net.toml", "--events", "log.txt"], net(), "log.txt: the event log is written as .csv, .parquet, .xes or .json"),
    Case("simulate/no-file", ["simulate"], {}, "the following arguments are required: FILE", 2),
    Case("validate/no-file", ["validate"], {}, "the following arguments are required: FILE", 2),
    Case("export/no-format", ["export", "net.toml"], net(), "the following arguments are required: --to", 2),
    Case("export/bad-format", ["export", "net.toml", "--to", "svg"], net(), "argument --to: invalid choice", 2),
    Case("reach/bad-format", ["reach", "net.toml", "--format", "png"], net(), "argument --format: invalid choice", 2),
    Case("reach/output-suffix", ["reach", "net.toml", "-o", "graph.png"], net(), "graph.png: cannot tell the graph format"),
    Case("unknown-command", ["frobnicate"], {}, "invalid choice: 'frobnicate'", 2),
    Case("experiment/unknown-controller", ["experiment", "--controller", "nobody"], {}, "unknown controller 'nobody'"),
    Case("experiment/policy-without-thesis-rl", ["experiment", "--controller", "traditional", "--policy", "p.json"],
         {"p.json": "{}"}, "--policy is for the thesis-rl controller"),
    Case("experiment/policy-missing", ["experiment", "--controller", "thesis-rl", "--policy", "p.json"],
         {}, "p.json: no such policy file"),
    Case("experiment/unknown-scenario", ["experiment", "--scenario", "flood"], {}, "unknown scenario 'flood'"),
    Case("experiment/generalise-and-orders", ["experiment", "--generalise", "1", "--orders", "o.csv"],
         {"o.csv": ""}, "--generalise draws its own order list"),
    Case("train/resume-missing", ["train", "--resume", "--out", "p.json", "--episodes", "1"], {},
         "p.json: no policy to resume from"),
]

# ---------------------------------------------------------------------------------------------
# Scenario files (the FlowFactory case study's disruptions)
# ---------------------------------------------------------------------------------------------

DISRUPTION = """[scenario]
name = "s"

[[disruption]]
station = "Cleaning & Drying"
parameter = "processing_time"
factor = 3
orders = [10, 15]
"""


def scenario(old: str | None = None, new: str = "", text: str = DISRUPTION) -> dict:
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    return {"s.toml": text}


def experiment_scenario(name, files, expect) -> Case:
    """A scenario file checked by ``petri validate`` (as ``petri experiment --scenario`` and
    ``petri train --scenario`` check it: one reader)."""
    return Case(f"validate/scenario-{name}", ["validate", "s.toml"], files, expect)


def validate_scenario(name, files, expect) -> Case:
    return Case(f"validate/scenario-{name}", ["validate", "s.toml"], files, expect)


SCENARIOS = [
    Case("experiment/scenario-empty", ["experiment", "--scenario", "s.toml"], {"s.toml": ""}, "s.toml: the file holds no scenario"),
    Case("experiment/scenario-not-toml", ["experiment", "--scenario", "s.toml"], {"s.toml": "oops"}, "s.toml: not valid TOML"),
    Case("experiment/scenario-deep", ["experiment", "--scenario", "s.toml"], {"s.toml": "x = " + "[" * 5000 + "]" * 5000},
         "s.toml: not valid TOML: arrays or tables nested too deeply"),
    experiment_scenario("binary", {"s.toml": b"\xff\xfe\x00"}, "s.toml"),
    experiment_scenario("deep", {"s.toml": "x = " + "[" * 5000 + "]" * 5000}, "nested too deeply"),
    experiment_scenario("missing", {}, "s.toml"),
    experiment_scenario("folder", {"s.toml/x": ""}, "s.toml"),
    experiment_scenario("unknown-section", scenario("[scenario]", "[scenery]\n[scenario]"), "unknown section(s) scenery"),
    experiment_scenario("head-not-table", {"s.toml": "scenario = 3\n"}, "[scenario] must be a table"),
    experiment_scenario("head-unknown-key", scenario('name = "s"', 'name = "s"\nwhen = 1'), "unknown key(s) when"),
    experiment_scenario("name-empty", scenario('name = "s"', 'name = ""'), "name must be a non-empty string"),
    experiment_scenario("thesis-nan", scenario('name = "s"', 'name = "s"\nthesis_days = { rl = nan }'), "thesis_days must map controller names to numbers"),
    experiment_scenario("thesis-inf", scenario('name = "s"', 'name = "s"\nthesis_days = { rl = inf }'), "thesis_days must map controller names to numbers"),
    experiment_scenario("disruption-not-list", {"s.toml": "[scenario]\nname='s'\n[disruption]\nstation='x'\n"}, "disruptions are written [[disruption]]"),
    experiment_scenario("unknown-key", scenario("factor = 3", "factor = 3\nfactro = 1"), "disruption 1: unknown key(s) factro"),
    experiment_scenario("two-targets", scenario('station = "Cleaning & Drying"', 'station = "Cleaning & Drying"\nstore = "gas"'), "name exactly one of station"),
    experiment_scenario("no-target", scenario('station = "Cleaning & Drying"\n', ""), "name exactly one of station"),
    experiment_scenario("target-number", scenario('station = "Cleaning & Drying"', "station = 3"), "station must be a name"),
    experiment_scenario("bad-parameter", scenario('parameter = "processing_time"', 'parameter = "speed"'), "parameter must be one of processing_time, transport_time"),
    experiment_scenario("factor-and-value", scenario("factor = 3", "factor = 3\nvalue = 2"), "give either factor"),
    experiment_scenario("no-factor", scenario("factor = 3\n", ""), "give either factor"),
    experiment_scenario("factor-nan", scenario("factor = 3", "factor = nan"), "factor must be a finite number more than 0, got nan"),
    experiment_scenario("factor-inf", scenario("factor = 3", "factor = inf"), "factor must be a finite number more than 0, got inf"),
    experiment_scenario("factor-zero", scenario("factor = 3", "factor = 0"), "factor must be a finite number more than 0, got 0"),
    experiment_scenario("factor-negative", scenario("factor = 3", "factor = -2"), "factor must be a finite number more than 0"),
    experiment_scenario("factor-text", scenario("factor = 3", 'factor = "3"'), "factor must be a finite number more than 0"),
    experiment_scenario("factor-bool", scenario("factor = 3", "factor = true"), "factor must be a finite number more than 0"),
    experiment_scenario("value-nan", scenario("factor = 3", "value = nan"), "value must be a finite number, got nan"),
    experiment_scenario("value-inf", scenario("factor = 3", "value = inf"), "value must be a finite number, got inf"),
    experiment_scenario("value-negative", scenario("factor = 3", "value = -1"), "value must not be negative"),
    experiment_scenario("value-text", scenario("factor = 3", 'value = "slow"'), "value must be a finite number"),
    experiment_scenario("capacity-float", {"s.toml": "[[disruption]]\nstore = 'gas'\nparameter = 'capacity'\nvalue = 2.5\ndays = [1, 2]\n"}, "a capacity is a whole number"),
    Case("experiment/scenario-constant-text", ["experiment", "--scenario", "s.toml", "--case", "1", "--controller", "traditional", "--out", "out"],
         {"s.toml": "[[disruption]]\nconstant = 'DAY'\nvalue = 'long'\ndays = [0, 2]\n"},
         "s.toml: disruption 1 (constant 'DAY'): constant 'DAY' holds a number; the value must be a finite number, got 'long'"),
    experiment_scenario("constant-nan", {"s.toml": "[[disruption]]\nconstant = 'DAY'\nvalue = nan\ndays = [1, 2]\n"}, "value must be a finite number, got nan"),
    experiment_scenario("table-no-key", {"s.toml": "[[disruption]]\ntable = 'lead_days'\nfactor = 2\ndays = [1, 2]\n"}, "a table disruption needs key"),
    experiment_scenario("key-not-table", scenario("factor = 3", "factor = 3\nkey = 'x'"), "key is only for table disruptions"),
    experiment_scenario("no-window", scenario("orders = [10, 15]\n", ""), "give exactly one window"),
    experiment_scenario("two-windows", scenario("orders = [10, 15]", "orders = [10, 15]\ndays = [1, 2]"), "give exactly one window"),
    experiment_scenario("window-nan", scenario("orders = [10, 15]", "days = [nan, 2]"), "days must be [first, last], two finite numbers, got [nan, 2]"),
    experiment_scenario("window-inf", scenario("orders = [10, 15]", "hours = [1, inf]"), "hours must be [first, last], two finite numbers, got [1, inf]"),
    experiment_scenario("window-minus-inf", scenario("orders = [10, 15]", "seconds = [-inf, 5]"), "two finite numbers"),
    experiment_scenario("window-one", scenario("orders = [10, 15]", "days = [1]"), "days must be [first, last]"),
    experiment_scenario("window-text", scenario("orders = [10, 15]", "days = ['a', 'b']"), "days must be [first, last]"),
    experiment_scenario("window-reversed", scenario("orders = [10, 15]", "days = [5, 2]"), "days [5, 2]: need 0 <= start < end"),
    experiment_scenario("window-negative", scenario("orders = [10, 15]", "days = [-1, 2]"), "need 0 <= start < end"),
    experiment_scenario("orders-float", scenario("orders = [10, 15]", "orders = [1.5, 3]"), "orders are order numbers"),
    experiment_scenario("orders-zero", scenario("orders = [10, 15]", "orders = [0, 3]"), "orders are order numbers"),
    experiment_scenario("orders-reversed", scenario("orders = [10, 15]", "orders = [15, 10]"), "the first is after the last"),
    experiment_scenario("unknown-station", scenario('"Cleaning & Drying"', '"Washing"'), "unknown station 'Washing'"),
    experiment_scenario("unknown-store", {"s.toml": "[[disruption]]\nstore = 'gold'\nparameter = 'capacity'\nfactor = 2\ndays = [1, 2]\n"}, "unknown store 'gold'"),
    experiment_scenario("unknown-constant", {"s.toml": "[[disruption]]\nconstant = 'NOPE'\nfactor = 2\ndays = [1, 2]\n"}, "unknown constant 'NOPE'"),
    experiment_scenario("unknown-table", {"s.toml": "[[disruption]]\ntable = 'nope'\nkey = 'x'\nfactor = 2\ndays = [1, 2]\n"}, "unknown table 'nope'"),
    experiment_scenario("order-not-in-list", scenario("orders = [10, 15]", "orders = [900, 950]"), "no such order in the order list"),
    experiment_scenario("overlap", {"s.toml": DISRUPTION + "\n[[disruption]]\nstation = 'Cleaning & Drying'\nparameter = 'processing_time'\nfactor = 2\norders = [12, 20]\n"},
                        "changes the same parameter as disruption 1 in an overlapping window"),
    validate_scenario("factor-nan-whole", scenario("factor = 3", "factor = nan"), "s.toml: disruption 1 (station 'Cleaning & Drying' processing_time): factor must be a finite number more than 0, got nan"),
    validate_scenario("unknown-station-whole", scenario('"Cleaning & Drying"', '"Washing"'), "s.toml: disruption 1: unknown station 'Washing'"),
    validate_scenario("head-only-empty", {"s.toml": "[disruption]\n"}, "disruptions are written [[disruption]]"),
    Case("experiment/scenario-factor-nan", ["experiment", "--scenario", "s.toml"], scenario("factor = 3", "factor = nan"),
         "s.toml: disruption 1 (station 'Cleaning & Drying' processing_time): factor must be a finite number more than 0, got nan"),
    Case("experiment/scenario-unknown-station", ["experiment", "--scenario", "s.toml"], scenario('"Cleaning & Drying"', '"Washing"'),
         "s.toml: disruption 1: unknown station 'Washing'"),
    Case("train/scenario-window-inf", ["train", "--scenario", "s.toml", "--episodes", "1"], scenario("orders = [10, 15]", "hours = [1, inf]"),
         "hours must be [first, last], two finite numbers"),
]

# ---------------------------------------------------------------------------------------------
# Policy files
# ---------------------------------------------------------------------------------------------


def _shipped_policy() -> dict:
    from nets import flowfactory
    from importlib.resources import files
    return json.loads((files(flowfactory) / "policies" / "thesis_rl.json").read_text())


def policy(change=None, text: str | bytes | None = None) -> dict:
    """A policy file: the shipped one changed by ``change(data)``, or ``text``."""
    if text is None:
        data = _shipped_policy()
        change(data)
        text = json.dumps(data, allow_nan=True)
    return {"p.json": text}


def _set_q(value):
    def change(data):
        table = next(iter(data["tables"].values()))
        table["q"][0][0] = value
    return change


def experiment_policy(name, files, expect) -> Case:
    return Case(f"experiment/policy-{name}", ["experiment", "--controller", "thesis-rl", "--policy", "p.json",
                                               "--scenario", "ideal"], files, expect)


POLICIES = [
    experiment_policy("q-nan", policy(_set_q(float("nan"))), "p.json: table 'prioritization': state"),
    experiment_policy("q-nan-message", policy(_set_q(float("nan"))), "has a Q-value that is not a finite number"),
    experiment_policy("q-inf", policy(_set_q(float("inf"))), "has a Q-value that is not a finite number"),
    experiment_policy("q-minus-inf", policy(_set_q(float("-inf"))), "has a Q-value that is not a finite number"),
    experiment_policy("q-text", policy(_set_q("high")), "p.json: a table of the policy is malformed"),
    experiment_policy("q-missing", policy(lambda d: next(iter(d["tables"].values())).pop("q")), "a table of the policy is malformed"),
    experiment_policy("tables-list", policy(lambda d: d.update(tables=[1, 2])), "a table of the policy is malformed"),
    experiment_policy("table-number", policy(lambda d: d["tables"].update(prioritization=3)), "a table of the policy is malformed"),
    experiment_policy("params-unknown", policy(lambda d: next(iter(d["tables"].values()))["params"].update(speed=1)), "a table of the policy is malformed"),
    experiment_policy("empty", policy(text=""), "p.json: not a readable policy file"),
    experiment_policy("not-json", policy(text="{oops"), "p.json: not a readable policy file"),
    experiment_policy("array", policy(text="[1, 2]"), "p.json: not a policy file"),
    experiment_policy("deep", policy(text="[" * 100000 + "]" * 100000), "p.json: not a readable policy file"),
    experiment_policy("binary", policy(text=b"\xff\xfe\x00\x01"), "p.json"),
    experiment_policy("no-marker", policy(text='{"tables": {}}'), "no 'petri-flow policy' format marker"),
    experiment_policy("version", policy(lambda d: d.update(format_version=99)), "policy format version 99"),
    experiment_policy("other-kind", policy(lambda d: d.update(kind="chess")), "this policy is for the controller 'chess'"),
    experiment_policy("other-net", policy(lambda d: d.update(net_hash="0" * 64)), "this policy was trained on another net"),
    Case("experiment/policy-suffix", ["experiment", "--controller", "thesis-rl", "--policy", "p.txt", "--scenario", "ideal"],
         {"p.txt": "{}"}, "a policy file is .json or .npz"),
    Case("experiment/policy-npz-garbage", ["experiment", "--controller", "thesis-rl", "--policy", "p.npz", "--scenario", "ideal"],
         {"p.npz": b"PK\x03\x04garbage"}, "p.npz: not a readable policy file"),
    Case("train/resume-nan", ["train", "--resume", "--out", "p.json", "--episodes", "1"],
         policy(_set_q(float("nan"))), "has a Q-value that is not a finite number"),
]

#: Every case of the corpus.
CASES: list[Case] = TOML + EXPRESSIONS + RUNTIME + CSV + FILES + PNML + OPTIONS + SCENARIOS + POLICIES
