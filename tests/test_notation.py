"""The course notation: text -> syntax tree -> SymPy statements, and its errors.

Three tables: valid statements with their SymPy meaning, invalid inputs with
the message, line and column, and hostile inputs that must be refused fast
without running anything.  A property test fuzzes the parser.
"""
from __future__ import annotations

import string
import sys
import time
from contextlib import contextmanager

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import IndexedBase, KroneckerDelta, Rational

from derive.core.errors import DeriveError, LimitError, NotationError
from derive.core.functions import comparison, ind, maxf, relu, sigma
from derive.core.program import (Block,
                                 Loop,
                                 TensorScalar,
                                 format_program,
                                 index_var,
                                 size_symbol)
from derive.front.resolve import build_program
from derive.front.values import parse_values

# --------------------------------------------------------------------------
# The scope every row is resolved in
# --------------------------------------------------------------------------

INDEX = {"b": "B", "j": "J", "k": "J", "i": "I", "t": "1..T", "x": "X", "dx": "D"}
TENSORS = {
    "s": ("b j", "input"),
    "Z": ("b", "computed"),
    "p": ("b j", "computed"),
    "h": ("b t j", "computed"),
    "W": ("j i", "parameter"),
    "a": ("b i", "input"),
    "u": ("b j", "computed"),
    "L": ("b x", "input"),
    "g": ("b x", "computed"),
    "w": ("dx", "parameter"),
    "y": ("", "computed"),
    "z": ("", "input"),
}
SYMBOLS = ("lam",)
FUNCTIONS = ("f",)


@pytest.fixture
def scope(make_scope):
    return make_scope(INDEX, TENSORS, SYMBOLS, FUNCTIONS)


b, j, k, i, t, x, dx = (index_var(n) for n in ("b", "j", "k", "i", "t", "x", "dx"))
B, J, I, T, X, D = (size_symbol(n) for n in ("B", "J", "I", "T", "X", "D"))
RANGE = {b: (0, B - 1), j: (0, J - 1), k: (0, J - 1), i: (0, I - 1), t: (1, T),
         x: (0, X - 1), dx: (0, D - 1)}

s, Z, p, h, W, a, u, L, g, w = (IndexedBase(n) for n in
                                ("s", "Z", "p", "h", "W", "a", "u", "L", "g", "w"))
s_grad, p_grad, Z_grad = (IndexedBase(n) for n in ("s.grad", "p.grad", "Z.grad"))
u_in, e = IndexedBase("u_in"), IndexedBase("e")
y, z = TensorScalar("y"), TensorScalar("z")
lam = sp.Symbol("lam", real=True)
f = sp.Function("f")


def loops(*vs):
    """Loops over declared indices, in order."""
    return tuple(Loop(v, *RANGE[v]) for v in vs)


def stmt(target, op, rhs, over=(), outer=()):
    """An expected statement: loops `over`, inside blocks with loops `outer`."""
    return (target, op, rhs, tuple(over), tuple(outer))


# --------------------------------------------------------------------------
# Valid statements and their meaning
# --------------------------------------------------------------------------

VALID = [
    ("plain_loop", "for b, j: Z[b] += exp(s[b, j])",
     [stmt(Z[b], "+=", sp.exp(s[b, j]), loops(b, j))]),
    ("minus_equals", "for b, j: Z[b] -= p[b, j]",
     [stmt(Z[b], "-=", p[b, j], loops(b, j))]),
    ("assign_scalar", "y = 2 * z",
     [stmt(y, "=", 2 * z)]),
    ("explicit_range_and_t_minus_1", "for t in 1..T, b, j: h[b, t, j] = h[b, t-1, j] + s[b, j]",
     [stmt(h[b, t, j], "=", h[b, t - 1, j] + s[b, j], loops(t, b, j))]),
    ("numeric_range", "for t in 2..T-1, b, j: h[b, t, j] = s[b, j]",
     [stmt(h[b, t, j], "=", s[b, j], (Loop(t, 2, T - 1),) + loops(b, j))]),
    ("shifted_read_x_plus_dx", "for b, x, dx: g[b, x] += w[dx] * L[b, x+dx]",
     [stmt(g[b, x], "+=", w[dx] * L[b, x + dx], loops(b, x, dx))]),
    ("shifted_write_x_plus_dx", "for b, x, dx: g[b, x+dx] += w[dx] * L[b, x]",
     [stmt(g[b, x + dx], "+=", w[dx] * L[b, x], loops(b, x, dx))]),
    ("strided_index", "for b, x, dx: g[b, x] += L[b, 2*x + dx]",
     [stmt(g[b, x], "+=", L[b, 2 * x + dx], loops(b, x, dx))]),
    ("implicit_loops_from_target", "p[b, j] = exp(s[b, j]) / Z[b]",
     [stmt(p[b, j], "=", sp.exp(s[b, j]) / Z[b], loops(b, j))]),
    ("grad_reference", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]",
     [stmt(s_grad[b, j], "+=", p_grad[b, j] * p[b, j], loops(b, j))]),
    ("indexed_dot_grad_is_grad_indexed", "for b, j: s.grad[b, j] += Z[b].grad * p[b, j]",
     [stmt(s_grad[b, j], "+=", Z_grad[b] * p[b, j], loops(b, j))]),
    ("dot_grad_target", "Z[b].grad = 1",
     [stmt(Z_grad[b], "=", sp.Integer(1), loops(b))]),
    ("scalar_grad", "y.grad = 1",
     [stmt(TensorScalar("y.grad"), "=", sp.Integer(1))]),
    ("einstein_top_level", "u[b, j] = W[j, I] * a[b, I]",
     [stmt(u[b, j], "+=", W[j, i] * a[b, i], loops(b, j, i))]),
    ("einstein_with_a_rest_term", "u[b, j] = W[j, I] * a[b, I] - s[b, j]",
     [stmt(u[b, j], "+=", W[j, i] * a[b, i], loops(b, j, i)),
      stmt(u[b, j], "-=", s[b, j], loops(b, j))]),
    ("einstein_after_an_earlier_write", "for b, j: u[b, j] = s[b, j]\n"
                                        "u[b, j] = W[j, I] * a[b, I] - s[b, j]",
     [stmt(u[b, j], "=", s[b, j], loops(b, j)),
      stmt(u[b, j], "=", -s[b, j], loops(b, j)),
      stmt(u[b, j], "+=", W[j, i] * a[b, i], loops(b, j, i))]),
    ("einstein_scalar_target", "y = W[J, I] * W[J, I]",
     [stmt(y, "+=", W[j, i] ** 2, loops(j, i))]),
    ("einstein_nested_in_tanh", "u[b, j] = tanh(W[j, I] * a[b, I] - s[b, j])",
     [stmt(u_in[b, j], "+=", W[j, i] * a[b, i], loops(b, j, i)),
      stmt(u_in[b, j], "-=", s[b, j], loops(b, j)),
      stmt(u[b, j], "=", sp.tanh(u_in[b, j]), loops(b, j))]),
    ("einstein_product_as_the_whole_argument", "u[b, j] = tanh(W[j, I] * a[b, I])",
     [stmt(u_in[b, j], "+=", W[j, i] * a[b, i], loops(b, j, i)),
      stmt(u[b, j], "=", sp.tanh(u_in[b, j]), loops(b, j))]),
    ("comparison_indicator", "u[b, j] = (s[b, j] > 0) * s[b, j]",
     [stmt(u[b, j], "=", ind(sp.StrictGreaterThan(s[b, j], 0, evaluate=False)) * s[b, j],
           loops(b, j))]),
    ("comparison_helper_agrees", "y = (z <= 1)",
     [stmt(y, "=", comparison("<=", z, sp.Integer(1)))]),
    ("kronecker_delta", "for b, j, k: u[b, j] += delta(j, k) * s[b, k]",
     [stmt(u[b, j], "+=", KroneckerDelta(j, k) * s[b, k], loops(b, j, k))]),
    ("kronecker_delta_with_capital", "u[b, j] = delta(j, K) * s[b, K]",
     [stmt(u[b, j], "+=", KroneckerDelta(j, k) * s[b, k], loops(b, j, k))]),
    ("exact_rational_division", "y = 3/2 * z",
     [stmt(y, "=", Rational(3, 2) * z)]),
    ("decimal_is_exact", "y = 0.25 * z",
     [stmt(y, "=", Rational(1, 4) * z)]),
    ("exponent_literal_is_exact", "y = 1e-3 * z + .5",
     [stmt(y, "=", Rational(1, 1000) * z + Rational(1, 2))]),
    ("caret_is_power", "y = z^2",
     [stmt(y, "=", z ** 2)]),
    ("double_star_is_power", "y = z**3",
     [stmt(y, "=", z ** 3)]),
    ("power_is_right_associative", "y = 2^3^2 * z",
     [stmt(y, "=", 512 * z)]),
    ("unary_minus_binds_looser_than_power", "y = -z^2",
     [stmt(y, "=", -(z ** 2))]),
    ("unary_minus_binds_tighter_than_product", "y = -z * 3 + 1",
     [stmt(y, "=", -3 * z + 1)]),
    ("function_vocabulary", "y = sigma(z) + relu(z) + max(z, 1) + lam * f(z)",
     [stmt(y, "=", sigma(z) + relu(z) + maxf(z, 1) + lam * f(z))]),
    ("comment_and_blank_lines", "\n# forward\ny = z  # the copy\n\n",
     [stmt(y, "=", z)]),
    ("block", "for t in 1..T:\n    h[b, t, j] = tanh(h[b, t-1, j])\n    for b, j: y += h[b, t, j]",
     [stmt(h[b, t, j], "=", sp.tanh(h[b, t - 1, j]), loops(b, j), loops(t)),
      stmt(y, "+=", h[b, t, j], loops(b, j), loops(t))]),
    ("temporary_in_an_answer", "for b, j: e[b] -= p[b, j] * p.grad[b, j]\n"
                               "for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])",
     [stmt(e[b], "-=", p[b, j] * p_grad[b, j], loops(b, j)),
      stmt(s_grad[b, j], "+=", p[b, j] * (p_grad[b, j] + e[b]), loops(b, j))]),
]


def same(a, b) -> bool:
    return a == b or sp.simplify(a - b) == 0


@pytest.mark.parametrize("text, expected", [r[1:] for r in VALID], ids=[r[0] for r in VALID])
def test_valid_statement_means(scope, text, expected):
    prog = build_program(text, scope, answer=True)
    got = list(prog.walk())
    assert len(got) == len(expected), format_program(prog)
    for (statement, outer), (target, op, rhs, over, outer_loops) in zip(got, expected):
        assert statement.target == target
        assert statement.op == op
        assert same(statement.rhs, rhs), (statement.rhs, rhs)
        assert statement.loops == over
        assert outer == outer_loops


@pytest.mark.parametrize("text", [r[1] for r in VALID], ids=[r[0] for r in VALID])
def test_printed_program_parses_to_the_same_statements(scope, text):
    def meaning(prog):
        # the printer may leave out a `for` whose loops the target implies
        return [(one.target, one.op, set(one.loops), outer) for one, outer in prog.walk()]

    prog = build_program(text, scope, answer=True)
    again = build_program(format_program(prog), scope, answer=True)
    assert meaning(prog) == meaning(again)
    for (s1, _), (s2, _) in zip(prog.walk(), again.walk()):
        assert same(s1.rhs, s2.rhs)


def test_delta_of_loop_indices_is_not_an_index_used_as_a_value(scope):
    prog = build_program("for b, j, k: u[b, j] += delta(j, k) * s[b, k]", scope)
    assert prog.statements()[0].rhs.has(KroneckerDelta(j, k))


def test_einstein_sum_closes_at_a_function_argument(scope):
    # tanh(W[j, I] * a[b, I]) is tanh of the sum, not the sum of tanh
    prog = build_program("u[b, j] = tanh(W[j, I] * a[b, I])", scope)
    last = prog.statements()[-1]
    assert last.rhs == sp.tanh(u_in[b, j]) and last.op == "="


def test_numbers_stay_exact(scope):
    prog = build_program("y = 0.1 * z + 3/7", scope)
    assert not prog.statements()[0].rhs.atoms(sp.Float)


def test_block_is_a_block_with_its_loops(scope):
    prog = build_program("for t in 1..T:\n    h[b, t, j] = s[b, j]", scope)
    (block,) = prog.items
    assert isinstance(block, Block)
    assert block.loops == loops(t)


def test_temporary_is_declared_with_its_axes(scope):
    prog = build_program("for b, j: e[b] -= p[b, j] * p.grad[b, j]", scope, answer=True)
    info = prog.tensors["e"]
    assert (info.role, info.axes, info.ranges) == ("temporary", ("b",), (RANGE[b],))
    assert "e" not in scope.tensors          # the caller's scope is not changed


def test_nested_einstein_temporary_is_named_after_the_target(scope):
    prog = build_program("u[b, j] = tanh(W[j, I] * a[b, I] - s[b, j])", scope)
    assert prog.tensors["u_in"].role == "temporary"
    assert prog.tensors["u_in"].axes == ("b", "j")


# --------------------------------------------------------------------------
# Numeric value lines
# --------------------------------------------------------------------------

VALUES = [
    ("matrix_grad", "W.grad = [[6, 12], [0, 0]]", "W.grad", [[6, 12], [0, 0]]),
    ("scalar", "z = 1", "z", 1.0),
    ("negative_and_rational", "w = [-1, 1/2, 0.25]", "w", [-1, 0.5, 0.25]),
]


@pytest.mark.parametrize("text, name, value", [r[1:] for r in VALUES],
                         ids=[r[0] for r in VALUES])
def test_value_line(scope, text, name, value):
    got = parse_values(text, scope)
    assert list(got) == [name]
    np.testing.assert_array_equal(got[name], np.array(value, dtype=float))


@pytest.mark.parametrize("text, fragment", [
    ("w = [[1, 2], [3]]", "different lengths"),
    ("q = 1", "unknown tensor 'q'"),
    ("w = [z]", "expected a number"),
], ids=["ragged", "unknown_tensor", "not_a_number"])
def test_bad_value_line(scope, text, fragment):
    with pytest.raises(NotationError, match=fragment):
        parse_values(text, scope)


# --------------------------------------------------------------------------
# Invalid inputs: message, line and column
# --------------------------------------------------------------------------

INVALID = [
    ("unknown_name", "y = foo", "unknown name 'foo'", 1, 5),
    ("unknown_function", "y = foo(z)", "unknown function 'foo'", 1, 5),
    ("wrong_number_of_indices_read", "for b: Z[b] += s[b]", "'s' has 2 indices, not 1", 1, 16),
    ("wrong_number_of_indices_target", "Z[b, j] = 1", "'Z' has 1 index, not 2", 1, 1),
    ("unbound_index_with_for", "for b: Z[b] += s[b, j]", "index 'j' is not bound", 1, 21),
    ("unbound_index_without_for", "Z[b] += s[b, j]", "index 'j' is not an index of the target",
     1, 14),
    ("bound_index_never_used", "for b, j: Z[b] += 1", "loop index 'j' is never used", 1, 8),
    ("assignment_into_an_input", "for b, j: s[b, j] = 1", "'s' is an input", 1, 11),
    ("assignment_into_a_parameter", "W[j, i] = 0", "'W' is a parameter", 1, 1),
    ("attribute_other_than_grad", "y = s.foo", "only '.grad' may follow a name", 1, 7),
    ("python_lambda", "y = lambda", "Python's 'lambda' is not part of the notation", 1, 5),
    ("python_string", "y = 'a'", "strings are not part of the notation", 1, 5),
    ("python_semicolon", "y = z; y = z", "write one statement per line", 1, 6),
    ("python_braces", "y = {z}", "use [ ] for indices and lists", 1, 5),
    ("python_import", "import os", "Python's 'import' is not part of the notation", 1, 1),
    ("python_conditional", "y = z if z else z", "unexpected 'if' after the statement", 1, 7),
    ("python_tuple", "y = (z, z)", "tuples are not part of the notation", 1, 7),
    ("capital_index_in_target", "Z[J] = 1", "a target cannot be summed over", 1, 3),
    ("chained_comparison", "y = (z < z < z)", "chained comparisons are not part of the notation",
     1, 12),
    ("empty_parentheses", "y = ()", "empty parentheses", 1, 6),
    ("block_header_without_body", "for b, j:", "a loop block needs at least one indented statement",
     1, 1),
    ("block_header_then_dedent", "for t in 1..T:\ny = z",
     "a loop block needs at least one indented statement", 1, 1),
    ("error_on_a_later_line", "y = z\n\nfor b: Z[b] += q[b]", "unknown tensor 'q'", 3, 16),
    ("error_inside_a_block", "for t in 1..T:\n    h[b, t, j] = h[b, t-1, j] + v",
     "unknown name 'v'", 2, 33),
    ("index_used_as_a_value", "for b: Z[b] += b", "index 'b' used as a value", 1, 16),
    ("tensor_without_its_indices", "y = s", "'s' has 2 indices: write s[...]", 1, 5),
    ("tensor_called_like_a_function", "y = Z(z)", "'Z' is a tensor: index it with [ ]", 1, 5),
    ("function_used_as_a_value", "y = exp", "'exp' is a function", 1, 5),
    ("wrong_arity", "y = exp(z, z)", "exp takes 1 argument, not 2", 1, 5),
    ("delta_arity", "for b, j: u[b, j] = delta(j)", "delta takes 2 arguments, not 1", 1, 21),
    ("dangling_operator", "y = z +", "expected an expression, found end of line", 1, 8),
    ("no_assignment", "y z", "expected '=', '+=' or '-=', found 'z'", 1, 3),
    ("missing_comma_in_for", "for b j: Z[b] += s[b, j]", "expected ',' or ':' after the loop index",
     1, 7),
    ("capital_loop_index", "for B: Z[B] += 1", "must be lower-case", 1, 5),
    ("loop_index_bound_twice", "for b, b: Z[b] += 1", "loop index 'b' is already bound", 1, 8),
    ("unknown_size_in_range", "for t in 1..Q, b, j: h[b, t, j] = 1", "unknown size 'Q'", 1, 13),
    ("division_by_zero", "y = z / 0", "division by zero", 1, 7),
    ("tab_indent", "for t in 1..T:\n\th[b, t, j] = 1", "indent with spaces, not tabs", 2, 1),
    ("uneven_indent", "for t in 1..T:\n    h[b, t, j] = 1\n  y = z", "unexpected indentation",
     3, 3),
    ("name_with_underscore", "y = _z", "names start with a letter", 1, 5),
    ("list_as_expression", "y = [z]", "a list is not an expression", 1, 5),
    ("symbol_indexed", "y = lam[b]", "'lam' is a symbol, not a tensor", 1, 5),
]


@pytest.mark.parametrize("text, fragment, line, column", [r[1:] for r in INVALID],
                         ids=[r[0] for r in INVALID])
def test_invalid_input_names_the_place(scope, text, fragment, line, column):
    with pytest.raises(NotationError) as info:
        build_program(text, scope, answer=True)
    err = info.value
    assert fragment in err.message
    assert (err.line, err.column) == (line, column)
    assert str(err).split("\n") == [f"answer:{line}:{column}: {err.message}",
                                    "    " + text.split("\n")[line - 1],
                                    "    " + " " * (column - 1) + "^"]


def test_forward_program_may_not_write_gradients(scope):
    with pytest.raises(NotationError, match="a forward program does not write gradients"):
        build_program("Z[b].grad = 1", scope, answer=False)


def test_forward_program_may_not_invent_tensors(scope):
    with pytest.raises(NotationError, match="unknown tensor 'e'") as info:
        build_program("for b, j: e[b] += s[b, j]", scope, answer=False)
    assert (info.value.line, info.value.column) == (1, 11)


def test_error_position_is_shifted_by_the_line_offset(scope):
    with pytest.raises(NotationError) as info:
        build_program("y = z\ny = foo", scope, "problems/demo.yaml", "program", line_offset=10)
    err = info.value
    assert (err.line, err.column) == (12, 5)
    assert str(err).startswith("problems/demo.yaml, program:12:5: unknown name 'foo'")


# --------------------------------------------------------------------------
# Hostile inputs: refused with derive's own error, fast, nothing run
# --------------------------------------------------------------------------

_RUN_EVENTS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
               "subprocess.Popen", "ctypes.dlopen")
_watching: list = []


def _audit(event, args):
    if not _watching:
        return
    if event in _RUN_EVENTS:
        _watching[-1].append(event)
    # compiling or running code that is not a module file means text was evaluated
    elif event == "compile" and not str(args[1]).endswith(".py"):
        _watching[-1].append(f"compile {args[1]}")
    elif event == "exec" and not getattr(args[0], "co_filename", "").endswith(".py"):
        _watching[-1].append(f"exec {getattr(args[0], 'co_filename', '?')}")


sys.addaudithook(_audit)   # audit hooks cannot be removed; it only records while watching


@contextmanager
def nothing_runs():
    events: list = []
    _watching.append(events)
    try:
        yield events
    finally:
        _watching.pop()
    assert events == []


HOSTILE = [
    ("dunder_import", "__import__('os').system('x')"),
    ("dunder_import_as_rhs", "y = __import__('os').system('x')"),
    ("dunder_class", "y = s.__class__"),
    ("dunder_bases_of_a_tuple", "y = ().__class__.__bases__"),
    ("eval_call", "y = eval(z)"),
    ("deep_parentheses", "y = " + "(" * 100_000 + "z" + ")" * 100_000),
    ("deep_parentheses_within_the_text_limit", "y = " + "(" * 5_000 + "z" + ")" * 5_000),
    ("deep_unary_minus", "y = " + "-" * 10_000 + "z"),
    ("deep_brackets", "y = " + "s[" * 3_000 + "b" + "]" * 3_000),
    ("long_operator_chain", "y = z" + " + z" * 4_000),
    ("tower_of_powers", "y = 2**2**2**2**2**99"),
    ("huge_integer_literal", "y = " + "9" * 10_000),
    ("huge_exponent_literal", "y = 1e999999999"),
    ("repeated_negative_powers", "y = (((10^99)^(-100))^(-100))^(-100)"),
    ("power_of_a_scaled_symbol", "y = (((10^90 * z)^100)^100)^100"),
    ("long_product_of_big_numbers", "y = 1" + " * 10^99" * 60),
    ("too_many_lines", "y = z\n" * 1_000),
]


@pytest.mark.parametrize("text", [r[1] for r in HOSTILE], ids=[r[0] for r in HOSTILE])
def test_hostile_input_is_refused_fast(scope, text):
    start = time.perf_counter()
    with nothing_runs():
        try:
            build_program(text, scope, answer=True)
        except DeriveError:
            pass
        else:
            raise AssertionError("accepted")
    assert time.perf_counter() - start < 1.0


def test_watcher_notices_evaluated_text():
    with pytest.raises(AssertionError):
        with nothing_runs():
            eval("1 + 1")


def test_long_operator_chain_is_a_limit_error_not_recursion_error(scope):
    with pytest.raises(LimitError, match="operators on one line"):
        build_program("y = z" + " + z" * 4_000, scope)
    build_program("y = z" + " + z" * 150, scope)          # long but ordinary


def test_repeated_negative_powers_are_refused_not_computed(scope):
    start = time.perf_counter()
    with pytest.raises(LimitError, match="the power is too large"):
        build_program("y = ((10^99)^(-100))^(-100)", scope)
    assert time.perf_counter() - start < 1.0
    build_program("y = 10^100 + (1/10)^100", scope)        # at the limit, still fine


# --------------------------------------------------------------------------
# Property: any text, and any mutation of a valid statement, fails cleanly
# --------------------------------------------------------------------------

PIECES = list(string.printable) + [
    "for ", " in ", "..", ".grad", "[", "]", "(", ")", ", ", "^", "**", "+=", "-=", "=",
    ":", "\n", "\n    ", "I", "J", "K", "T", "delta(", "1..T", "t-1", "x+dx", "1e99", "λ",
    "__class__", "'",
]

MUTATION = st.tuples(st.sampled_from(["insert", "delete", "replace"]),
                     st.integers(min_value=0, max_value=200), st.sampled_from(PIECES))


def _mutate(text: str, edits) -> str:
    chars = list(text)
    for op, pos, piece in edits:
        pos = min(pos, len(chars))
        if op == "insert":
            chars[pos:pos] = [piece]
        elif chars:
            pos = min(pos, len(chars) - 1)
            if op == "delete":
                del chars[pos]
            else:
                chars[pos] = piece
    return "".join(chars)


def _fails_cleanly(scope, text):
    try:
        build_program(text, scope, answer=True)
    except DeriveError:
        pass


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_random_text_raises_only_derive_errors(make_scope, text):
    _fails_cleanly(make_scope(INDEX, TENSORS, SYMBOLS, FUNCTIONS), text)


@settings(max_examples=300, deadline=None)
@given(row=st.sampled_from(VALID), edits=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_statements_raise_only_derive_errors(make_scope, row, edits):
    _fails_cleanly(make_scope(INDEX, TENSORS, SYMBOLS, FUNCTIONS), _mutate(row[1], edits))


def test_engine_values_are_never_made_from_text():
    import sympy as sp
    from derive.core.program import as_expr
    assert as_expr(2) == sp.Integer(2) and as_expr(0.5) == sp.Float(0.5)
    x = sp.Symbol("x")
    assert as_expr(x) is x
    with pytest.raises(TypeError):
        as_expr("x + 1")


def test_a_program_may_not_assign_over_a_loop_its_target_lacks(scope):
    """In a spec's program `=` over a loop the target lacks is refused (`+=` is meant);
    in an answer it has its meaning (each step overwrites: the last stays) and is judged."""
    with pytest.raises(NotationError) as info:
        build_program("for b, j: Z[b] = s[b, j]", scope, answer=False)
    assert "every loop index must appear in the target; 'j' does not" in info.value.message
    assert (info.value.line, info.value.column) == (1, 8)
    prog = build_program("for b, j: Z[b] = s[b, j]", scope, answer=True)
    (st,) = prog.statements()
    assert st.op == "=" and len(st.loops) == 2

