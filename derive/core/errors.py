"""Errors that users see: every one names where it went wrong."""
from __future__ import annotations


class DeriveError(Exception):
    """Base class of every error derive reports to a user (exit code 2).  `part`
    ("problem:part") is set when the error arose while answering a part, and leads
    the message."""

    exit_code = 2
    part: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        if self.part and not text.startswith(self.part):
            return f"{self.part}: {text}"
        return text

    @property
    def reason(self) -> str:
        """The message without the part that leads it."""
        text = super().__str__()
        return text[len(self.part) + 2:] if self.part and text.startswith(self.part + ": ") \
            else text


class NotationError(DeriveError):
    """Bad notation text: names the source, line and column, with a caret."""

    def __init__(self, message: str, source: str = "answer", line: int = 1,
                 column: int = 1, text: str | None = None, key: str | None = None):
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.text = text
        self.key = key
        super().__init__(self.format())

    def format(self) -> str:
        where = self.source
        if self.key:
            where += f", {self.key}"
        head = f"{where}:{self.line}:{self.column}: {self.message}"
        if self.text is None:
            return head
        shown = self.text.split("\n")[self.line - 1] if self.line >= 1 else ""
        if len(shown) > 200:  # keep long lines readable around the fault
            start = max(0, self.column - 100)
            shown_cut = shown[start:start + 200]
            caret_col = self.column - start
            shown = shown_cut
        else:
            caret_col = self.column
        return f"{head}\n    {shown}\n    {' ' * (caret_col - 1)}^"


class IndexRangeError(NotationError):
    """A loop index that runs past the axis it writes (b2.grad[k] with k over M, not C)."""


class ShapeError(IndexRangeError):
    """Matrix notation whose shapes do not fit (W dy where Wᵀ dy is meant): a wrong
    answer for the tensor it writes, not unreadable text."""


class SpecError(DeriveError):
    """A mistake in a problem spec: names the file and the key path."""

    def __init__(self, message: str, file: str = "<spec>", key: str | None = None):
        self.message = message
        self.file = file
        self.key = key
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {message}")


class LimitError(DeriveError):
    """A resource limit was hit (text size, nesting, exponent, iterations, time)."""


class TimeLimitError(LimitError):
    """A check's wall-clock limit: passed on, never taken for a failed size or edit."""


class DerivationError(DeriveError):
    """The engine cannot derive or cannot verify an answer."""


class VerificationError(DerivationError):
    """A derived answer failed its numeric check: never shown as an answer."""


class CostError(DeriveError):
    """The cost analysis cannot count a program, or take an order of growth."""


class ExecutionError(DeriveError):
    pass
