"""The words of derivations: one table of sentences, keyed by what a step does.

An engine names the sentence of a step (`Step.why`) and gives the objects it mentions
(`Step.args`); a printer fills the `{name}` fields with those objects typeset in its own
format.  Adding a kind of step costs one line here.  The moments and cost engines keep
their sentences in their own tables, merged here, so that each is written beside the
others of its kind."""
from __future__ import annotations

from derive.core.sentences_cost import COST_SENTENCES
from derive.core.sentences_moments import MOMENT_SENTENCES

BACKWARD_SENTENCES = {
    "chain rule": "the chain rule through {statement}",
    "forward quantities": "written with forward quantities",
    "merge": "the two updates of {target} merged",
    "rescale": "{old} is only used multiplied by {factor}: keep {new} instead",
    "identity softmax": "{tensor} is a softmax over {index}, so it sums to 1 over {index}",
    "identity onehot": "{tensor} is one-hot over {index}, so it sums to 1 over {index}",
    "identity probability": "{tensor} is a probability vector over {index}: it sums to 1",
    "identity sum": "{defined} is defined by a sum over {index} of {tensor}",
    "identity applied": "with these identities, {statement} becomes {new}",
    "identity inlined": "the pointwise gradients inlined, the program is shorter: {statement}",
    "compact substituted": "the intermediate gradients {gradients} substituted into {target}",
    "compact sums": "each sum split over its terms, the factors free of its index taken "
                    "out, and the sums the forward program fixes written out",
    "compact definition": "{tensor} solved from the definition of {definition}",
    "compact rewritten": "so, with {tensor} written by the forward's own tensors",
    "compact form": "collected, the compact form of {gradients}: the boxed answer, checked "
                    "numerically against the loops",
}

SENTENCES = {**BACKWARD_SENTENCES, **MOMENT_SENTENCES, **COST_SENTENCES}
