"""Bounded expressions: which operators get a guard, what the guards refuse, and that guarded
operators compute what Python does whenever the result is within the limits."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from petri import LimitError, Net, NetError, SimulationError
from petri.engine import Simulator
from petri.expressions import (MAX_BITS, MAX_SIZE, _add, _mod, _mul, _pow, check_expression,
                               compile_expression, to_source)


def source(text, numeric=(), constants=(), tables=()):
    return to_source(check_expression(text, variables={"x", "y", "s", "k"},
                                      constants=constants, tables=tables),
                     constants, tables, numeric)


@pytest.mark.parametrize("text, numeric, expected", [
    ("x + 1", (), "v_x + 1"),                       # one side a number: no text can grow
    ("s + s", (), "_add(v_s, v_s)"),
    ("x * 2", {"x"}, "v_x * 2"),                   # numbers, one of bounded size
    ("x * y", {"x", "y"}, "_mul(v_x, v_y)"),       # two token numbers: may square each firing
    ("s * 3", (), "_mul(v_s, 3)"),
    ("(x + 1) % 5", (), "(v_x + 1) % 5"),           # a number on the left: no formatting
    ("'%d' % x", (), "_mod('%d', v_x)"),
    ("x ** 2", {"x"}, "_pow(v_x, 2)"),
    ("x - y", (), "v_x - v_y"),
    ("x / y", (), "v_x / v_y"),
])
def test_operators_get_a_guard_only_when_their_operands_need_one(text, numeric, expected):
    assert source(text, numeric) == expected


def test_numeric_constants_and_tables_need_no_guard():
    assert source("T[k] * DAY", {"T", "DAY"}, constants={"DAY"}, tables={"T"}) == "t_T[v_k] * c_DAY"
    assert source("T[k] * DAY", (), constants={"DAY"}, tables={"T"}) == "_mul(t_T[v_k], c_DAY)"


def test_compiled_expressions_know_which_constants_are_numbers():
    assert compile_expression("K * 2", constants={"K": 3}).source == "c_K * 2"
    assert compile_expression("K * 2", constants={"K": "ab"}).source == "_mul(c_K, 2)"
    assert compile_expression("K * 2", constants={"K": "ab"})() == "abab"


def test_guards_refuse_results_over_the_limits():
    with pytest.raises(LimitError, match=r"^the repeated text would have 1,000,000,000,000 items, "
                                         r"over the limit of 100,000$"):
        _mul("a", 10**12)
    with pytest.raises(LimitError, match="the repeated tuple would have 200,000 items"):
        _mul(2, (1,) * 100_000)
    with pytest.raises(LimitError, match="the joined text would have 100,001 items"):
        _add("a" * 50_000, "b" * 50_001)
    with pytest.raises(LimitError, match=r"the product would have 10,002 bits, over the limit of 10,000"):
        _mul(2**5000, 2**5000)
    with pytest.raises(LimitError, match=r"the power would have 10,112 bits"):
        _pow(2**158, 64)
    with pytest.raises(LimitError, match=r"the formatted text would have 1,000,000,003 characters"):
        _mod("%*d", (10**9, 1))
    with pytest.raises(ValueError, match=r"^-8 \*\* 0.5 is not a real number$"):
        _pow(-8, 0.5)
    assert len(_mul("ab", MAX_SIZE // 2)) == MAX_SIZE
    assert _pow(2, 64) == 2**64 and _mul(2**5000, 2**4999).bit_length() == 10_000
    assert MAX_BITS == 10_000


@given(st.one_of(st.integers(-10**6, 10**6), st.text(max_size=20),
                 st.tuples(st.integers(), st.text(max_size=3))),
       st.integers(-5, 50))
def test_guarded_operators_compute_what_python_does(a, n):
    for guarded, plain in ((_mul, lambda p, q: p * q), (_add, lambda p, q: p + q)):
        for left, right in ((a, n), (n, a), (a, a)):
            try:
                expected = plain(left, right)
            except TypeError:
                with pytest.raises(TypeError):
                    guarded(left, right)
                continue
            assert guarded(left, right) == expected
    if isinstance(a, int) and n >= 0:
        assert _pow(a, min(n, 8)) == a ** min(n, 8)
    if isinstance(a, str) and "%" not in a:
        assert _mod(a + "%d", n) == (a + "%d") % n


@pytest.mark.parametrize("text, message", [
    ("1e999", "a number that is not finite is not allowed in an expression: '1e999'"),
    ("-" * 200 + "1", "expression nested more than 100 levels deep"),
    ("'%5000d' % 1", "a format width over 1000 (5000) is not allowed in an expression"),
    ("9" * 5000, "an integer literal of more than 4300 digits"),
])
def test_the_checker_refuses_unbounded_literals_and_nesting(text, message):
    with pytest.raises(NetError) as e:
        check_expression(text, where="guard")
    assert str(e.value).startswith(f"guard: {message}")


def line(delay):
    net = Net("line")
    net.add_colour_set("J", values=["a", "b"], timed=True)
    net.add_place("in", "int", initial=[3])
    net.add_place("out", "J")
    net.add_transition("t", inputs=[("in", "x")], outputs=[("out", "'a'")], delay=delay)
    return net


@pytest.mark.parametrize("delay, message", [
    ("x - 5", "transition 't': delay 'x - 5' must be a finite number of 0 or more, got -2 "
              "(x=3, time 0)"),
    ("x * 1e308", "transition 't': delay 'x * 1e308' must be a finite number of 0 or more, "
                  "got inf (x=3, time 0)"),
    ("str(x)", "transition 't': delay 'str(x)' must be a finite number of 0 or more, got '3' "
               "(x=3, time 0)"),
    ("x // (x - 3)", "transition 't': delay 'x // (x - 3)': integer division or modulo by zero "
                     "(x=3, time 0)"),
])
def test_a_delay_that_is_no_finite_number_of_0_or_more_is_a_run_time_error(delay, message):
    with pytest.raises(SimulationError) as e:
        Simulator(line(delay)).run()
    assert str(e.value) == message


@pytest.mark.parametrize("delay", [float("inf"), float("nan"), -1])
def test_a_constant_delay_that_is_not_finite_and_non_negative_is_refused(delay):
    with pytest.raises(NetError, match="a delay"):
        Simulator(line(delay))


def test_a_numeric_constant_stays_a_finite_number():
    net = line("K")
    net.constants["K"] = 2
    sim = Simulator(net)
    with pytest.raises(NetError, match=r"^constant 'K' holds a number; its new value must be a "
                                       r"finite number, got 'ab'$"):
        sim.set_constant("K", "ab")
    with pytest.raises(NetError, match="got nan"):
        sim.set_constant("K", float("nan"))
    sim.set_constant("K", 4.5)
    sim.run()
    assert sim.tokens("out") == [("a", 4.5)]
