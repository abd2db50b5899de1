"""derive: backpropagation and trainability answers, derived and verified."""
from derive.core.version import VERSION
from derive.core.errors import DeriveError, LimitError, NotationError, SpecError
from derive.core.program import Program, Statement, format_program
from derive.front.spec import Spec, load_spec, parse_spec
from derive.run.execute import run

__all__ = ["DeriveError", "LimitError", "NotationError", "SpecError", "Program",
           "Statement", "Spec", "format_program", "load_spec", "parse_spec", "run"]
__version__ = VERSION
