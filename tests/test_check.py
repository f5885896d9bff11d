"""Semantic checks of nets (``petri.check``), on nets built in code and loaded from files."""
import pytest

from petri import Net, NetError, Token
from petri.check import check_net, validate
from petri.formats.toml import load

MILL = """\
[colours]
Product = ["A", "B", "C"]
Count = {{ int = [0, 3] }}

[variables]
q = "Product"
n = "int"

[constants]
LIMIT = 2

[places.raw]
colour = "Product"
initial = ["A"]

[places.done]
colour = "Product"

[places.idle]
initial = 1

[transitions.mill]
{body}
"""


def problems(tmp_path, body: str) -> list[str]:
    path = tmp_path / "mill.toml"
    path.write_text(MILL.format(body=body), encoding="utf-8")
    net = load(path, check=False)
    return [str(e).removeprefix(f"{path}: ") for e in check_net(net)]


def guard(tmp_path, text: str) -> list[str]:
    body = (f"guard = '''{text}'''\ninputs = [{{ place = 'raw', inscription = 'p' }}]\n"
            f"outputs = [{{ place = 'done', inscription = 'p' }}]")
    return problems(tmp_path, body)


CALLS = ("calling anything but min, max, abs, round, int, float, str, bool, len, sum, floor, "
         "ceil, uniform, exponential, normal, lognormal, triangular, erlang, discrete, time is "
         "not allowed in an expression")


@pytest.mark.parametrize("text, message", [
    ("p.upper() == 'A'", f"{CALLS}: 'p.upper()'"),
    ("p.__class__", "attribute access is not allowed in an expression: 'p.__class__'"),
    ("__name__ == p", "a name starting with an underscore is not allowed in an expression: "
                      "'__name__'"),
    ("(lambda: 1)()", f"{CALLS}: '(lambda: 1)()'"),
    ("lambda: 1", "lambda is not allowed in an expression: 'lambda: 1'"),
    ("[x for x in 'AB']", "comprehension is not allowed in an expression: \"[x for x in 'AB']\""),
    ("any(x for x in 'AB')", f"{CALLS}: \"any(x for x in 'AB')\""),
    ("__import__('os')", f"{CALLS}: \"__import__('os')\""),
    ("open('f')", f"{CALLS}: \"open('f')\""),
    ("eval('1')", f"{CALLS}: \"eval('1')\""),
    ("max(p, key=len)", "a keyword argument is not allowed in an expression: 'max(p, key=len)'"),
    ("f'{p}' == 'A'", "f-string is not allowed in an expression: \"f'{p}'\""),
    ("(y := p) == 'A'", "assignment expression is not allowed in an expression: 'y := p'"),
    ("2 ** 1000 > 1", "a power whose exponent is not a number literal up to 64 is not allowed in "
                      "an expression: '2 ** 1000'"),
    ("2 ** LIMIT > 1", "a power whose exponent is not a number literal up to 64 is not allowed "
                       "in an expression: '2 ** LIMIT'"),
    ("p[0:1] == 'A'", "slice is not allowed in an expression: '0:1'"),
    ("p != ", "syntax error in 'p != ': invalid syntax"),
])
def test_rejected_expressions(tmp_path, text, message):
    assert guard(tmp_path, text) == [f"transition 'mill': guard: {message}"]


def test_allowed_expressions(tmp_path):
    assert guard(tmp_path, "p != 'C' and q in ('A', 'B') and max(LIMIT, 1) ** 2 > 0") == []


def test_unbound_variable_is_named(tmp_path):
    assert guard(tmp_path, "x > 1") == [
        "transition 'mill': guard: variable 'x' is not bound by any input arc of transition "
        "'mill' and not declared in [variables]"]


def test_declared_variable_needs_a_finite_colour_set(tmp_path):
    assert guard(tmp_path, "n > 1") == [
        "transition 'mill': guard: variable 'n' is not bound by any input arc of transition "
        "'mill' and its colour set 'int' in [variables] is infinite, so its values cannot be "
        "tried"]


def test_every_place_for_an_expression_is_checked(tmp_path):
    body = ("delay = 'x'\ninputs = [{ place = 'raw', inscription = 'p' }]\n"
            "outputs = [{ place = 'done', inscription = 'y', weight = 'w', delay = 'd.e' }]")
    assert problems(tmp_path, body) == [
        "transition 'mill': delay: variable 'x' is not bound by any input arc of transition "
        "'mill' and not declared in [variables]",
        "transition 'mill': output arc 1: variable 'y' is not bound by any input arc of "
        "transition 'mill' and not declared in [variables]",
        "transition 'mill': output arc 1: weight: variable 'w' is not bound by any input arc of "
        "transition 'mill' and not declared in [variables]",
        "transition 'mill': output arc 1: delay: attribute access is not allowed in an "
        "expression: 'd.e'"]


def test_read_arcs_bind_and_inhibitors_do_not(tmp_path):
    body = ("reads = [{ place = 'raw', inscription = 'p' }]\n"
            "inhibitors = [{ place = 'done', inscription = 'p' }, "
            "{ place = 'done', inscription = 'r' }, { place = 'done', inscription = 'q' }]\n"
            "outputs = [{ place = 'done', inscription = 'p' }]")
    assert problems(tmp_path, body) == [
        "transition 'mill': inhibitor arc 2: variable 'r' is not bound by any input arc of "
        "transition 'mill' and not declared in [variables]"]


def test_inscription_expressions_use_bound_variables(tmp_path):
    body = ("inputs = [{ place = 'raw', inscription = 'p' }, "
            "{ place = 'done', inscription = 'p if LIMIT > 1 else z' }]\n"
            "outputs = [{ place = 'done', inscription = 'p' }]")
    assert problems(tmp_path, body) == [
        "transition 'mill': input arc 2: variable 'z' is not bound by any input arc of "
        "transition 'mill' and not declared in [variables]"]


@pytest.mark.parametrize("body, message", [
    ("inputs = [{ place = 'raw', inscription = 'p', weight = 0 }]\n"
     "outputs = [{ place = 'done', inscription = 'p' }]",
     "transition 'mill': input arc 1: weight must be a positive integer, got 0"),
    ("inputs = [{ place = 'raw', inscription = \"'D'\" }]",
     "transition 'mill': input arc 1: pattern \"'D'\" can never match a token of colour set "
     "'Product' (place 'raw')"),
    ("inputs = [{ place = 'raw', inscription = '(p, 1)' }]",
     "transition 'mill': input arc 1: pattern '(p, 1)' can never match a token of colour set "
     "'Product' (place 'raw')"),
    ("inputs = ['raw']", "transition 'mill': input arc 1: no inscription means a black token, "
                         "but place 'raw' holds colour set 'Product'"),
    ("inputs = [{ place = 'idle', inscription = 'x' }]",
     "transition 'mill': input arc 1: an arc from place 'idle' of black tokens takes no "
     "inscription, got 'x'"),
    ("outputs = [{ place = 'done', inscription = '3' }]",
     "transition 'mill': output arc 1: inscription '3' is never a token of colour set 'Product' "
     "(place 'done')"),
    ("outputs = [{ place = 'idle', weight = -1 }]",
     "transition 'mill': output arc 1: weight must be an integer (0 or more) or an expression, "
     "got -1"),
    ("outputs = ['dnoe']", "transition 'mill': output arc 1: unknown place 'dnoe' "
                           "(did you mean 'done'?)"),
    ("reads = ['nowhere']", "transition 'mill': read arc 1: unknown place 'nowhere'"),
    ("delay = -2", "transition 'mill': delay: a delay cannot be negative, got -2"),
    ("inputs = [{ place = 'raw', inscription = 'p.x' }]",
     "transition 'mill': input arc 1: attribute access is not allowed in an expression: 'p.x'"),
])
def test_arc_problems(tmp_path, body, message):
    assert problems(tmp_path, body) == [message]


# ---------------------------------------------------------------------------------------------
# Nets built in code
# ---------------------------------------------------------------------------------------------

def net_with(**place) -> Net:
    net = Net("n")
    net.add_colour_set("Product", values=["A", "B"])
    net.add_place("p", **place)
    return net


@pytest.mark.parametrize("place, message", [
    (dict(colour="Prodcut"), "place 'p': unknown colour set 'Prodcut' (did you mean 'Product'?)"),
    (dict(colour="Product", initial=["A", "C"]),
     "place 'p': initial token 'C' is not in colour set 'Product'"),
    (dict(initial=3, capacity=2), "place 'p': the initial marking has 3 tokens, more than the "
                                  "capacity 2"),
    (dict(capacity=-1), "place 'p': capacity cannot be negative, got -1"),
    (dict(colour="Product", initial=[Token("A", 1, 4)]),
     "place 'p': initial token 'A' has time 4 but colour set 'Product' is untimed"),
    (dict(colour="Product", initial=[Token("A", 0)]),
     "place 'p': initial token 'A': count must be a positive integer, got 0"),
])
def test_place_problems(place, message):
    assert [str(e) for e in check_net(net_with(**place))] == [message]


def test_colour_set_and_declaration_problems():
    net = Net()
    net.add_colour_set("Job", components=("Prod", "int"))
    net.add_colour_set("Loop", components=("Loop", "int"))
    net.add_colour_set("Count", "int", low=5, high=1)
    net.add_colour_set("int", "int", low=0, high=1)
    net.add_variable("v", "Nope")
    net.add_variable("max", "int")
    net.add_constant("my-limit", 3)
    net.add_constant("v", 1)
    net.add_constant("empty", None)
    assert [str(e) for e in check_net(net)] == [
        "colour set 'Job': component 1: unknown colour set 'Prod'",
        "colour set 'Loop': a product cannot contain itself, directly or through its components",
        "colour set 'Count': low bound 5 is above high bound 1",
        "colour set 'int': a builtin colour set cannot be redeclared",
        "variable 'max': 'max' is the name of a function expressions may call",
        "constant 'my-limit': the name cannot be used in expressions (use letters, digits and _, "
        "not starting with a digit)",
        "constant 'v': also declared as a variable",
        "variable 'v': unknown colour set 'Nope'",
        "constant 'empty': a constant must be text, a finite number, a boolean or a tuple of "
        "these, got None"]


def test_products_and_constants_in_patterns():
    net = Net()
    net.add_colour_set("Product", values=["A", "B"])
    net.add_colour_set("Job", components=("Product", "int"))
    net.add_constant("FIRST", "A")
    net.add_constant("WRONG", "Z")
    net.add_place("jobs", "Job", initial=[("A", 1), ("B", -2)])
    net.add_place("out", "Product")
    net.add_transition("ok", inputs=[("jobs", "(FIRST, -2)")], outputs=[("out", "FIRST")])
    net.add_transition("bad", inputs=[("jobs", "(WRONG, n)")], outputs=[("out", "(1, 2)")])
    assert [str(e) for e in check_net(net)] == [
        "transition 'bad': input arc 1: pattern '(WRONG, n)' can never match a token of colour "
        "set 'Job' (place 'jobs')",
        "transition 'bad': output arc 1: inscription '(1, 2)' is never a token of colour set "
        "'Product' (place 'out')"]


def test_a_valid_net_built_in_code():
    net = Net("line")
    net.add_colour_set("Product", values=["A", "B"])
    net.add_variable("q", "Product")
    net.add_table("duration", {"A": 2, "B": 3})
    net.add_place("raw", "Product", initial={"A": 2})
    net.add_place("done", "Product", capacity=5)
    net.add_place("idle", initial=1)
    net.add_transition("work", guard="p == q", delay="duration[p]", inputs=[("raw", "p"), "idle"],
                       outputs=[("done", "p"), "idle"])
    assert check_net(net) == []
    assert validate(net) is net


def test_validate_raises_the_first_problem_with_a_count():
    net = net_with(colour="Nope", capacity=-1)
    with pytest.raises(NetError) as e:
        validate(net)
    assert str(e.value) == "place 'p': unknown colour set 'Nope' (and 1 more problem)"
    assert [p.reason for p in e.value.problems] == ["unknown colour set 'Nope'",
                                                   "capacity cannot be negative, got -1"]


def test_messages_name_the_file_of_the_element(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text("[places.p]\ncapacity = -1\n", encoding="utf-8")
    errors = check_net(load(path, check=False))
    assert [(e.file, e.element) for e in errors] == [(str(path), "place 'p'")]
