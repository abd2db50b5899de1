"""The built answer key, read as a reader reads it (pdftotext): what derive wrote there
(derivations, answers, notes) shows no code tokens and no internal names.

The text derive writes is the key's text less the lines that the problem sheet has too
(statements, questions, programs as the instructor wrote them) and less the answers an
instructor gave as written; in it, no SymPy or engine spelling (`**`, `sqrt(`, `Eq(`,
`_grad`, `maxf`, `ind`, ...) and, within each problem's section, no name of a tensor or a
symbol that the spec gives a display name read differently (`L0` for L_ell, `sigma_W`)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from derive.front.folder import default_problems_dir, find_problems
from derive.front.spec import load_spec
from derive.present.render import build_key

PATHS = find_problems(default_problems_dir())
SPECS = [load_spec(p) for p in PATHS]

# spellings of code that a reader must never see: powers and products as typed, SymPy's
# and the engines' own function names, the engines' generated names
CODE_TOKENS = [
    r"\*\*", r"sqrt\(", r"\bEq\(", r"\bSum\(", r"\bMax\(", r"\bMin\(", r"\bceil\(",
    r"\blog2\(", r"clog2", r"_grad", r"\bsigma2", r"\bmaxf\b", r"\bminf\b", r"\bind\b",
    r"\bind\(", r"KroneckerDelta", r"Piecewise", r"Indexed", r"TensorScalar", r"Dummy",
    r"\bMeasure\(", r"\bBigO\(", r"\[b, j\]\*", r"(?<=[\w\]\)])\*(?=[\w(])",
]

GIVEN = "The instructor's answer, as given (not derived by the engine):"


def pdf_lines(path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    out = out.replace("\f", "\n").replace("’", "'")           # TeX's apostrophe
    return [l.strip() for l in out.split("\n") if l.strip()]


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """{problem id: the lines derive wrote in its section of the answer key}."""
    missing = [t for t in ("latexmk", "pdflatex", "pdftotext") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"TeX is needed for this test ({', '.join(missing)} missing): run "
                    f"`make test`, which installs it (scripts/install-tex.sh)")
    out = tmp_path_factory.mktemp("key")
    build_key(PATHS, out)
    sheet = set(pdf_lines(out / "problems.pdf"))
    sections, current, given, previous = {}, None, False, ""
    for line in pdf_lines(out / "answer_key.pdf"):
        # a section's number, then its title on a line (or two) of its own
        heading = next((s for s in SPECS if s.title in (line, f"{previous} {line}")), None)
        previous = line
        if heading is not None:           # (its lines are on the sheet too: not kept)
            current, given = heading.id, False
            sections[current] = []
            continue
        if line == GIVEN:
            given = True
        elif re.match(r"\(\w+\)\s", line):       # the next part's question
            given = False
        if current is not None and not given and line not in sheet:
            sections[current].append(line)
    return sections


def reads_as(latex: str) -> str:
    """A display name as the letters a reader sees, without its layout and fonts:
    `z_{1}` -> z1, `B^{h}` -> Bh, `\\mathrm{Loss}` -> Loss (but `W^{(1)}` -> W(1))."""
    return re.sub(r"\\(mathrm|mathit|mathbf|mathcal|operatorname|text)|[\s_^{}]", "", latex)


def internal_names(spec) -> list[str]:
    """Names of the spec (tensors, symbols) that its display names spell otherwise."""
    names = [(n, i.latex) for n, i in spec.program.tensors.items()]
    names += [(str(n), o.get("latex")) for n, o in (spec.raw.get("symbols") or {}).items()
              if isinstance(o, dict)]
    return [n for n, latex in names
            if latex and len(n) > 1 and reads_as(str(latex)) != n]


@pytest.mark.slow          # one build of the key and the sheet with TeX: about 25 s
def test_every_problem_has_its_section(key):
    assert sorted(key) == sorted(s.id for s in SPECS)
    assert all(key[s.id] for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_no_code_tokens_in_what_derive_wrote(key, spec):
    for line in key[spec.id]:
        for token in CODE_TOKENS:
            assert not re.search(token, line), (token, line)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_no_internal_names_in_what_derive_wrote(key, spec):
    names = internal_names(spec)
    for line in key[spec.id]:
        for name in names:
            assert not re.search(r"(?<![\w.])%s(?!\w)" % re.escape(name), line), (name, line)


def test_the_internal_names_of_resnet_variance_are_looked_for():
    spec = next(s for s in SPECS if s.id == "resnet_variance")
    assert {"L0", "L1", "Bias", "sigma_W"} <= set(internal_names(spec))
