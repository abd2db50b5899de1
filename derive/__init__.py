"""derive: backpropagation and trainability answers, derived and verified."""
from .errors import DeriveError, LimitError, NotationError, SpecError
from .execute import run
from .program import Program, Statement, format_program
from .spec import Spec, load_spec, parse_spec

__all__ = ["DeriveError", "LimitError", "NotationError", "SpecError", "Program",
           "Statement", "Spec", "format_program", "load_spec", "parse_spec", "run"]
__version__ = "0.1.0"
