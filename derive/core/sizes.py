"""Sizes that depend on others (`U: 2*X + D`, `R: M/2`): every concrete set of sizes
is made from the independent ones, so a tie the spec states is never broken by a run,
a check or a counterexample."""
from __future__ import annotations

import sympy as sp
from derive.core.program import as_expr


def in_independents(relations: dict, symbols: dict) -> dict:
    """{size symbol: its expression in the independent sizes}, relations applied until
    none is left (`relations`: size name -> expression in other sizes; acyclic)."""
    subs = {symbols[n]: e for n, e in relations.items()}
    out = {}
    for sym, e in subs.items():
        for _ in range(len(subs) + 1):
            nxt = e.xreplace(subs)
            if nxt == e:
                break
            e = nxt
        out[sym] = sp.expand(e)
    return out


def independent(relations: dict, names) -> list:
    return [n for n in names if n not in relations]


def complete(relations: dict, symbols: dict, given: dict) -> dict | None:
    """All sizes from the independent ones in `given` (dependent ones computed; a given
    value of a dependent size is replaced).  None if a dependent size is not a positive
    integer there."""
    values = {n: int(v) for n, v in given.items() if n not in relations}
    at = {symbols[n]: sp.Integer(v) for n, v in values.items() if n in symbols}
    for sym, e in in_independents(relations, symbols).items():
        v = e.xreplace(at)
        if not (v.is_Integer and v > 0):
            return None
        values[sym.name] = int(v)
    return {n: values[n] for n in symbols if n in values}


def vary(relations: dict, symbols: dict, make, tries: int = 12) -> dict | None:
    """Sizes with the independent ones made by `make(name, attempt)`, the first attempt
    at which every dependent size is a positive integer."""
    for attempt in range(tries):
        given = {n: make(n, attempt) for n in independent(relations, symbols)}
        out = complete(relations, symbols, given)
        if out is not None:
            return out
    return None


def eliminated_for(grow: str, relations: dict, symbols: dict):
    """For a cost asked in a dependent size (`in: U` with U = 2*X + D): the independent
    size that grows with it (the first, in the order of the sizes, that the relation is
    linear in) and that size's expression in `grow` and the rest: (X, (U - D)/2).  None
    for an independent size."""
    if grow not in relations:
        return None
    g = symbols[grow]
    rel = in_independents(relations, symbols)[g]
    for name, s in symbols.items():
        if s in rel.free_symbols and sp.degree(sp.expand(rel), s) == 1:
            solved = sp.solve(sp.Eq(g, rel), s)
            if len(solved) == 1:
                return s, solved[0]
    return None


def in_terms_of(expr, grow: str, relations: dict, symbols: dict):
    """`expr` over the sizes, rewritten in `grow` (dependent sizes replaced by their
    expressions, then the size that grows with `grow` by its expression in it)."""
    e = as_expr(expr).xreplace(in_independents(relations, symbols)) if relations else expr
    elim = eliminated_for(grow, relations, symbols)
    if elim is None:
        return e
    s, by = elim
    return sp.expand(as_expr(e).xreplace({s: by}))
