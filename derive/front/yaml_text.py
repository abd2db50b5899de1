"""YAML as a spec's author writes it: the expansion of its aliases bounded (a
billion-laughs document is refused before it is built), and PyYAML's messages with the
fix an author needs."""
from __future__ import annotations

import yaml

MAX_YAML_NODES = 100_000      # values of a spec after its aliases are expanded


def expanded_size(node) -> int:
    """The number of values the node graph stands for once every alias is expanded,
    counted with a memo (a billion-laughs document is a small graph), stopping early."""
    memo: dict = {}

    def size(n) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 1                       # a cycle counts once (PyYAML refuses it later)
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > MAX_YAML_NODES:
                    break
        elif isinstance(n, yaml.SequenceNode):
            for v in n.value:
                total += size(v)
                if total > MAX_YAML_NODES:
                    break
        memo[key] = total
        return total
    return size(node)


def yaml_hint(problem: str) -> str:
    """The fix for a YAML syntax error, in the author's terms ('' when none is known)."""
    if "mapping values are not allowed" in problem:
        return (" (a value with ': ' inside it must be quoted: "
                "source: 'Srivastava et al.: Dropout')")
    if "could not find expected ':'" in problem or "found character" in problem:
        return " (quote a value that holds ':', '#', '{' or a backslash)"
    return ""
