"""Every key a spec may use, in one table built from what the loader accepts.

`KNOWN_KEYS` maps a pattern of key paths (`*` stands for any one name: a tensor,
a symbol, a part label) to the keys allowed below it.  The loader's own constants
(derive.front.spec, derive.front.moment_keys) are the source; `derive lint` reads
this table, and a test keeps every key in it documented in docs/specs.md.
"""
from __future__ import annotations

from derive.front.moment_keys import (ASSUME_KEYS, COMPARE_KEYS, CONDITION_KEYS,
                                      RECURRENCE_KEYS)
from derive.front.spec import (COMMON_KEYS, FUNCTION_KEYS, PART_KEYS, SYMBOL_KEYS,
                               TENSOR_KEYS, TOP_KEYS)

KNOWN_KEYS: dict[str, tuple] = {
    "": tuple(sorted(TOP_KEYS)),
    "symbols.*": SYMBOL_KEYS,
    "functions.*": FUNCTION_KEYS,
    "tensors.*": TENSOR_KEYS,
    "assume.*": ASSUME_KEYS,
    "parts.*": tuple(sorted(COMMON_KEYS | set().union(*PART_KEYS.values()))),
    "parts.*.given.*": ASSUME_KEYS,
    "parts.*.recurrence": RECURRENCE_KEYS,
    "parts.*.condition": CONDITION_KEYS,
    "parts.*.compare": COMPARE_KEYS,
}


def part_keys(kind: str) -> tuple:
    """The keys a part of this kind may have (its own and the common ones)."""
    return tuple(sorted(COMMON_KEYS | PART_KEYS.get(kind, set())))


def all_keys() -> set:
    """Every key name of the table, the part kinds included (`ask: backprop`)."""
    out = {k for keys in KNOWN_KEYS.values() for k in keys}
    return out | set(PART_KEYS)
