"""The tables of derive.front.spelling: the spellings it reads and the tokens it reads
them into."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon",
         "ϵ": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota",
         "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi",
         "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "ϕ": "phi", "χ": "chi",
         "ψ": "psi", "ω": "omega", "Δ": "Delta", "Σ": "Sigma", "Φ": "Phi", "Ω": "Omega",
         "Γ": "Gamma", "Λ": "Lambda", "Θ": "Theta", "ℓ": "l"}
SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵀ", "0123456789-+T")
FRACTIONS = {"½": "(1/2)", "⅓": "(1/3)", "⅔": "(2/3)", "¼": "(1/4)", "¾": "(3/4)",
             "⅕": "(1/5)", "⅙": "(1/6)", "⅛": "(1/8)"}
OPERATORS = {"·": "*", "×": "*", "∘": "*", "⊙": "*", "⋅": "*", "∗": "*", "−": "-",
             "–": "-", "≤": "<=", "≥": ">=", "≈": "~=", "≠": "!=",
             "←": "=", "⟵": "="}      # an update, W ← W − η g: the new value
ACCENTS = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar", "\u0305": "bar"}
LETTERLIKE = {"𝔼": "E", "𝒪": "O"}
LIBRARIES = ("np", "numpy", "torch", "math", "F", "jnp", "scipy", "special")
FUNCTION_ALIASES = {"sigmoid": "sigma", "logistic": "sigma", "expit": "sigma", "ln": "log",
                    "maximum": "max", "minimum": "min", "absolute": "abs", "Abs": "abs",
                    "heaviside": "step", "Heaviside": "step", "ReLU": "relu", "Relu": "relu"}
LATEX_FUNCTIONS = {"exp": "exp", "log": "log", "ln": "log", "tanh": "tanh", "cosh": "cosh",
                   "sinh": "sinh", "max": "max", "min": "min", "sigma": "sigma",
                   "sech": "sech", "erf": "erf", "Phi": "Phi"}
LATEX_TIMES = {"cdot", "times", "odot", "circ", "ast", "bullet"}
LATEX_DROPPED = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "bigg",
                 "Bigg", "displaystyle", "quad", "qquad", "limits", "nolimits"}
LATEX_WRAPPERS = {"mathbf", "boldsymbol", "bm", "vec", "mathrm", "text", "mathit",
                  "operatorname", "textrm", "mathbb", "hat", "bar", "widehat", "tilde",
                  "mathcal"}
LATEX_RELATIONS = {"le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "approx": "~=",
                   "ne": "!=", "neq": "!=", "lt": "<", "gt": ">", "sim": "~=",
                   "leftarrow": "=", "gets": "="}
LATEX_ACCEPTED = ("\\frac, \\sqrt, \\exp, \\log, \\ln, \\tanh, \\sigma, \\cdot, \\times, "
                  "\\odot, \\circ, ^{...}, _{...}, \\sum_{j}, \\left( \\right), \\mathbb{E}, "
                  "\\operatorname{Var}, \\partial, Greek letters")

_LEX = re.compile(r"""
    (?P<cmd>\\[A-Za-z]+|\\[,;:!\ ]|\\\\|\\\{|\\\}|\\\|)
  | (?P<num>\d+(?:\.(?!\.)\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-zα-ωΑ-Ωϵϑϕℓ\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f][\u0300-\u036f]*(?:[A-Za-z0-9α-ωΑ-Ωϵϑϕℓ₀-₉\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f]|_(?=[A-Za-z0-9α-ωΑ-Ωϵϑϕℓ\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]))*)
  | (?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵀ]+)
  | (?P<op>\+=|-=|\*\*|\.\.|==|!=|<=|>=|~=|[-+*/^()\[\],:<>=.'|{}_@&])
  | (?P<uni>[·×∘⊙⋅∗−–≤≥≈≠←⟵√∑∂∇𝟙½⅓⅔¼¾⅕⅙⅛𝔼𝒪])
  | (?P<ws>\s+)
""", re.VERBOSE)


@dataclass
class Tok:
    kind: str       # num name op cmd sup uni
    text: str
    col: int        # 1-based column in the line as typed
    space: bool = False   # whitespace before it


@dataclass
class Names:
    """The names an answer may use: tensors (with their number of axes), symbols and
    functions, and display spellings (LaTeX and Unicode) that stand for them."""
    tensors: dict = field(default_factory=dict)      # name -> its axes (index names)
    symbols: set = field(default_factory=set)
    functions: set = field(default_factory=set)
    indices: set = field(default_factory=set)
    spellings: dict = field(default_factory=dict)    # `\sigma_W`, `σ_W` -> sigma_W
    text: str = ""                                   # the whole answer being read
    ranges: dict = field(default_factory=dict)       # index -> (lo, hi): which axes meet
    aliases: dict = field(default_factory=dict)      # the spec's aliases: delta -> z.grad
    jacobian: tuple | None = None                    # (from, to) of a gradient part

    def known(self, name: str) -> bool:
        return name in self.tensors or name in self.symbols or name in self.functions \
            or name in self.indices


def _op(text, col, space=False) -> Tok:
    return Tok("op", text, col, space)
