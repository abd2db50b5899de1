"""The function vocabulary's tables stay on the same keys: adding a function to the
notation is one row in each table (and one test row in test_rules.py)."""
from __future__ import annotations

import numpy as np
import sympy as sp

from derive.core import functions as F
from derive.engines.moments.table import MOMENTS



def keys(table) -> set:
    return set(table)


def test_every_table_has_the_same_functions():
    derivative = keys(F.DERIVATIVES) | keys(F.PARTIALS)
    assert keys(F.NUMPY) == derivative
    assert keys(F.LATEX) == derivative
    assert derivative <= keys(F.NOTATION_NAME)
    assert keys(F.RULE_TEXT) == derivative


def test_the_moments_table_is_keyed_by_the_same_functions():
    assert keys(MOMENTS) <= keys(F.DERIVATIVES) | keys(F.PARTIALS)


def test_every_vocabulary_function_has_a_row():
    for name, (arity, fn) in F.VOCABULARY.items():
        if isinstance(fn, type) and issubclass(fn, sp.Function) and fn is not sp.KroneckerDelta:
            assert fn in F.NUMPY, name
            assert F.NOTATION_NAME.get(fn) in F.VOCABULARY, name


def test_the_numpy_rows_agree_with_sympy():
    x = np.array([-1.5, -0.2, 0.3, 2.0])
    with np.errstate(invalid="ignore"):
        for f, (call, code) in F.NUMPY.items():
            pairs = list(zip(x, x[::-1])) if f in F.PARTIALS else [(a,) for a in x]
            got = call(*(np.array(c) for c in zip(*pairs)))
            for k, args in enumerate(pairs):
                want = f(*(sp.Float(a) for a in args))
                if want.is_real:        # log of a negative number: no real value to match
                    assert np.isclose(got[k], float(want)), (f, args)
            assert isinstance(code, str) and code
