"""Orders of growth in cost answers: as textbooks print them, judged by growth."""
from __future__ import annotations

import re

_ORDER_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S)")
_CALLS = ("log", "log2", "ln", "sqrt", "exp", "max", "min", "ceil")


def order_text(text: str, names: set) -> str:
    """An order of growth as textbooks (and derive) print it, in the notation: `T log J`
    is T*log(J), `log T` is log(T), `TM^2` (sizes side by side) is T*M^2.  Text that
    needs none of this is returned as typed (its columns kept for messages)."""
    toks = [m.group(1) for m in _ORDER_TOKEN.finditer(text)]
    out = []
    for t in toks:
        if t[0].isalpha() and t not in names and t not in _CALLS:
            parts = _split_names(t, names)
            out.extend(parts if parts else [t])
        else:
            out.append(t)
    joined, k = [], 0
    while k < len(out):
        t = out[k]
        if t in _CALLS and k + 1 < len(out) and out[k + 1] != "(" and \
                (out[k + 1][0].isalnum()):
            joined.append(f"{t}({out[k + 1]})")       # log T -> log(T)
            k += 2
            continue
        joined.append(t)
        k += 1

    def atom_end(t):
        return t[0].isalnum() or t == ")" or t.endswith(")")

    def atom_start(t):
        return t[0].isalnum() or t == "("
    final = []
    for t in joined:
        if final and atom_end(final[-1]) and atom_start(t) and not (
                final[-1] in _CALLS and t == "("):
            final.append("*")
        final.append(t)
    rebuilt = "".join(final)
    if rebuilt == "".join(toks):
        return text                         # nothing to rewrite: columns as typed
    return " " * (len(text) - len(text.lstrip())) + rebuilt


def _split_names(word: str, names: set) -> list | None:
    """`TMN` -> [T, M, N] when it is sizes written side by side, else None."""
    if not word:
        return []
    for n in sorted(names, key=len, reverse=True):
        if word.startswith(n):
            rest = _split_names(word[len(n):], names)
            if rest is not None:
                return [n] + rest
    return None


# --------------------------------------------------------------------------
# orders of growth (cost parts)
# --------------------------------------------------------------------------


def growth(expr, spec, grow: str | None):
    """The dominant terms of a size expression, in `grow` only (others fixed)."""
    from derive.core.growth import _dominant_terms, order
    sizes = list(spec.program.sizes.values())
    keep = None if grow is None else {spec.program.sizes[grow]}
    terms = _dominant_terms(expr, sizes, keep)
    return sorted((tuple(sorted((str(v), pl) for v, pl in k.items())) for k in terms)), \
        order(expr, spec.program, None if grow is None else [grow])


def _cost_diagnosis(got, want, spec, part, label: str = "") -> list:
    grow = part.args.get("in")
    grow = None if grow is None else str(grow)
    try:
        mine, mine_shown = growth(got, spec, grow)
    except Exception:  # noqa: BLE001 - already reported as unusable earlier
        return []
    ref, _ = growth(want, spec, grow)

    def degree(keys):
        return max((sum(p for _, (p, _) in k) for k in keys), default=0)
    d_mine, d_ref = degree(mine), degree(ref)
    where = f" in {grow}" if grow else ""
    depth = "depth" in label
    if d_mine > d_ref:
        return [f"{mine_shown}{where} grows faster than the derived cost: " + (
            "count which steps must wait for each other (a sum is a balanced tree; "
            "independent iterations run side by side)" if depth else
            "count how many times each statement runs (its loops' ranges, multiplied)")]
    if d_mine < d_ref:
        return [f"{mine_shown}{where} grows slower than the derived cost: " + (
            "some steps still wait for earlier ones (a recurrence, or a chain of "
            "statements)" if depth else
            "count how many times each statement runs: every loop over a size that grows "
            "multiplies the work")]
    return [f"{mine_shown}{where} is not the derived order (compare the logarithmic factors)"]


_ORDER_HEAD = re.compile(
    r"^(\s*(?:[A-Za-z][\w .]*=\s*)?(?:O|Θ|Theta|Omega|Ω|𝒪|\\mathcal\{O\})\s*"
    r"\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))\s*([:,;—–]|\.\s|\s-\s|\bbecause\b|\bsince\b|"
    r"\bas\b|\bfor\b|\bby\b|\bvia\b|\busing\b|\bwith\b|\bfrom\b|\bwhere\b)(.*)$", re.S)
_GROWTH_WORDS = {"linear": "{x}", "linearly": "{x}", "quadratic": "{x}^2",
                 "quadratically": "{x}^2", "cubic": "{x}^3", "constant": "1",
                 "logarithmic": "log({x})", "logarithmically": "log({x})"}
_WORDS = re.compile(r"^\s*(?:it\s+(?:is|grows)\s+)?(linear|linearly|quadratic|quadratically|"
                    r"cubic|constant|logarithmic|logarithmically)\b(?:\s+in\s+((?:[A-Za-z]\w*\s+)"
                    r"{0,5}?[A-Za-z]\w*)\b)?(.*)$", re.S | re.I)


def order_in_words(text: str, grow: str | None, sizes) -> tuple[str, str | None]:
    """A cost answer with a justification, or in words: `O(T): one pass over the
    sequence` is judged by O(T), `linear in T` by O(T).  (text to judge, how it was read)
    ; the text unchanged when it is neither."""
    # work: O(T²) for work = O(T²); `work = O(T²), depth = O(log T)` as two lines
    text = re.sub(r"(?m)^(\s*[A-Za-z]\w*)\s*:\s*(?=(?:O|Θ|Theta|Omega|Ω|𝒪)\s*\()", r"\1 = ",
                  text)
    text = re.sub(r"\s*[,;]\s*(?=[A-Za-z]\w*\s*=\s*(?:O|Θ|Theta|Omega|Ω|𝒪)\s*\()", "\n", text)
    if "\n" in text.strip():
        lines = [order_in_words(ln, grow, sizes) for ln in text.split("\n")]
        said = next((x for _, x in lines if x), None)
        return "\n".join(t for t, _ in lines), said
    m = _ORDER_HEAD.match(text)
    if m and m.group(3).strip() and not _second_value(m.group(2), m.group(3)):
        head = m.group(1).strip()
        return head, f"judged by `{head}`; the rest is read as your justification"
    m = _WORDS.match(text)
    if m:
        # linear in T, in the depth L, in the number of layers L: the size it names
        named = next((w for w in (m.group(2) or "").split() if w in sizes), None) \
            if m.group(2) else None
        if m.group(2) and named is None:
            more = next((w for w in re.findall(r"[A-Za-z]\w*", m.group(3)) if w in sizes),
                        None)
            named = more
        size = named or (grow if not m.group(2) else None)
        if size is None:
            return text, None
        order = "O(%s)" % _GROWTH_WORDS[m.group(1).lower()].format(x=size)
        return order, f"read `{m.group(1)}{' in ' + size if m.group(2) else ''}` as {order}"
    return text, None


_REASON_START = re.compile(r"\s*(?:[,;:—–]|\(|\.\s|\s-\s|because\b|since\b|as\b|"
                           r"for\b|where\b|when\b|by\b|from\b|with\b)", re.I)


def expression_with_reason(text: str, known) -> tuple[str, str | None]:
    """A moment or solution followed by its justification, `Var(u) ≤ 1/4, since u is in
    [0, 1]` or `... (reached where y = ±∞)`: each line judged by what comes before the
    prose (at least two words that name nothing of the problem), the prose kept.
    (text to judge, how it was read); the text unchanged when it has no prose."""
    lines, said = [], None
    # `Var(x1) = (1 + s⁴) Var(x0), so Var(x_l) = (1 + s⁴)^l`: two results on one line
    split = _SECOND_RESULT.sub("\n", text)
    if split != text:
        said = "read the results after `, so` (`;`) as lines of their own"
    for line in split.split("\n"):
        head = _before_reason(line, known)
        if head is not None:
            said = f"judged by `{head.strip()}`; the rest is read as your justification"
            line = head
        lines.append(line)
    return "\n".join(lines), said


def _before_reason(line: str, known):
    depth = 0
    for k, ch in enumerate(line):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if depth > (1 if ch == "(" else 0) or k == 0:
            continue
        m = _REASON_START.match(line, k)
        if not m or (ch == "(" and not line.rstrip().endswith(")")) or \
                not line[k - 1].isspace() and ch not in ",;:(":
            continue
        tail = line[m.end():]
        label = re.split(r"[=<>≤≥≈]", line[:k])[0] if _RELATION.search(line[:k]) else None
        if _second_value(m.group(0), tail, label):
            return None         # a second value after the first: not a justification
        words = [w for w in re.findall(r"[A-Za-z]{2,}", tail) if w not in known]
        head = line[:k]
        if not m.group(0).strip()[-1:].isalpha() and not _prose_start(tail, known):
            continue            # `= (D^{2} J σ² + 1) ...`: a bracket of math, no reason
        # a bare value may carry prose too, when the prose says it is a reason
        said = _BECAUSE.match(m.group(0).strip()) or _BECAUSE.match(tail.lstrip())
        if len(words) >= 2 and (re.search(r"[=<>≤≥]", head) or said and head.strip()):
            return head
    return None


def _prose_start(tail: str, known) -> bool:
    """Does the rest begin with a word of prose (`the 1/q undoes`, `so that`), not with
    math (`D^{2}`, `\\sigma`, `n σ²`, a name of the problem)?"""
    m = re.match(r"([A-Za-z]{2,})\b(?![_^(\[{'])", tail.lstrip())
    return bool(m) and m.group(1) not in known


_BECAUSE = re.compile(r"(?:because|since|as|using|by)\b", re.I)
_ORDER = re.compile(r"\b(?:O|Θ|Theta|Omega|Ω|𝒪)\s*\(")
_MATH = re.compile(r"[\^√²³⁻/*]|\bsqrt\b")
_RELATION = re.compile(r"[=<>≤≥≈]")


_SECOND_RESULT = re.compile(r"\s*[,;]\s*(?:so|thus|hence|therefore|and|then)?\s*(?=(?:Var|E|Std|"
                            r"σ|sigma)\b[^=<>≤≥,;]*(?:=|≤|≥|<=|>=))")
_CONTRAST = re.compile(r"\b(?:but|otherwise|or|instead|actually|rather|wrong|should|else|"
                       r"unless|correct answer|right one|maybe|perhaps|possibly|probably|"
                       r"alternatively|either|if)\b", re.I)


def _second_value(separator: str, tail: str, label: str | None = None) -> bool:
    """After a colon or a dash the rest explains the answer (`O(TVN): each of the T steps
    costs O(VN + N²)`), unless it turns to another value (`but`, `otherwise`, `or`);
    after anything else, a value in the rest may be a second answer (_formula)."""
    if separator.strip() in (":", "—", "–", "-"):
        return bool(_CONTRAST.search(tail)) and _formula(tail, label)
    return _formula(tail, label)


def _formula(tail: str, label: str | None = None) -> bool:
    """Does the rest after an answer hold a value of its own (`, but sqrt(2/n) with the
    ReLU`, `2v²/B otherwise`, `and O(T^2) for the backward pass`)?  Then it is no
    justification: what it says may be the answer, and it is not set aside.  A relation
    about another quantity (`where y = ±∞`, `since E[relu(z)²] = v/2`) is reasoning."""
    if _ORDER.search(tail):
        return True
    if not _RELATION.search(tail):
        # a bare value turned to (`2v²/B otherwise`, `but sqrt(2/n)`) is a second answer;
        # one inside prose (`the 1/q undoes the keep probability`) is reasoning
        return bool(_MATH.search(tail)) and bool(_CONTRAST.search(tail))
    # a relation about the same quantity (`, or Var(s) = 2v²/B`) is a second answer; one
    # about another (`so that Var(y) = d sigma_W² = 1`) is reasoning
    lhs = _RELATION.split(tail)[0]
    return bool(label) and re.sub(r"\s", "", label) in re.sub(r"\s", "", lhs)
