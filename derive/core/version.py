"""derive's version, for every stage that records it (verdicts, grader results)."""
VERSION = "0.1.0"
