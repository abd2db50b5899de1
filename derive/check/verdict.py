"""The verdict of a check: one per answer, one per quantity asked."""
from __future__ import annotations

from dataclasses import dataclass, field

TIME_LIMIT = 10.0        # seconds per check

EXIT_CODES = {"correct": 0, "incorrect": 1, "unusable": 2, "error": 3}
REPORT = ("this is a bug in derive, not in your answer: please report it with the "
          "command you ran")


@dataclass
class Quantity:
    """One quantity a part asks for, judged on its own."""
    name: str
    verdict: str                      # correct | incorrect | missing
    message: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "verdict": self.verdict, "message": self.message}


@dataclass
class Verdict:
    problem: str
    part: str
    verdict: str                      # correct | incorrect | unusable | error
    message: str = ""
    diagnosis: list = field(default_factory=list)
    counterexample: dict | None = None
    reference: str | None = None
    reference_check: str | None = None   # the numeric check of the reference (--show-answer)
    quantities: list = field(default_factory=list)   # [Quantity], in the order asked
    max_score: float = 1.0
    all_or_nothing: bool = False
    limited: bool = False             # unusable because a time or memory limit was hit
    read_as: str | None = None        # the answer in the course notation, as it was read
    reading: list = field(default_factory=list)   # how ambiguous spellings were read

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.verdict, 3)

    @property
    def score(self) -> float:
        """The points earned: all of them when correct; else, per quantity, a share of the
        points for each correct one (none with all_or_nothing, or for unusable input)."""
        if self.verdict == "correct":
            return self.max_score
        if self.verdict != "incorrect" or self.all_or_nothing or not self.quantities:
            return 0.0
        right = sum(q.verdict == "correct" for q in self.quantities)
        return round(self.max_score * right / len(self.quantities), 6)

    def judge(self, name: str, verdict: str, message: str = "") -> Quantity:
        """Record the verdict of one quantity (the first one recorded for a name counts)."""
        for q in self.quantities:
            if q.name == name:
                return q
        q = Quantity(name, verdict, message)
        self.quantities.append(q)
        return q

    def as_dict(self) -> dict:
        out = {"problem": self.problem, "part": self.part, "verdict": self.verdict,
               "exit_code": self.exit_code, "message": self.message,
               "diagnosis": self.diagnosis, "counterexample": self.counterexample,
               "quantities": [q.as_dict() for q in self.quantities],
               "score": self.score, "max_score": self.max_score}
        if self.read_as is not None:
            out["read_as"] = self.read_as
            out["reading"] = list(self.reading)
        if self.reference is not None:
            out["reference"] = self.reference
            out["reference_check"] = self.reference_check
        return out
