"""Grading where courses grade: a submission of many parts, its scores, and the formats
of Gradescope, PrairieLearn and CodeRunner (derive.grade.formats), built on the checker
(derive.check)."""
