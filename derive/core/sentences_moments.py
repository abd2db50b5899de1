"""The sentences of the moments engine (derive.engines.moments), merged into
derive.core.sentences.SENTENCES.

Each key says what a step does; its `{name}` fields are the objects the step names
(SymPy expressions, statements, or tensor names), typeset by the printers.  The
formulas of a step are in its relation chain, never in these words."""
from __future__ import annotations

MOMENT_SENTENCES: dict = {
    # ---- statements and entries
    "statement": "the statement {statement}",
    "statement at one entry": "the statement {statement}, at one entry: {entry}",
    "interior entries": "interior entries only: a read beyond the border is zero and would "
                        "drop terms, so what follows holds where every read is in range",
    "constant": "{tensor} is a constant of the problem",
    "result": "{tensor} has mean {mean}",
    "backward loops": "the backward loops from {sources} to {target}, by the chain rule "
                      "(they are listed with the answer), each visited in turn",

    # ---- products, constants, sums
    "linear map": "a constant factor {factor} scales the mean by {factor} and the variance "
                  "by {square}",
    "add a constant": "adding the constant {constant} shifts the mean by {shift} and leaves "
                      "the variance unchanged",
    "product of independent factors": "product of the independent factors {factors} (they "
                                      "share no random source), with mean {mean}",
    "normal times its CDF": "{entry} is normal with mean 0: by Stein's lemma the mean of "
                            "a normal entry times a function of it is its variance times "
                            "the mean of the function's slope, and the slope of Phi is the "
                            "normal density",
    "second moment of normal times its CDF": "the second moment of {entry} Phi({entry}), "
                                             "by Stein's lemma twice and the orthant "
                                             "probability of two correlated normals",
    "sum of independent terms": "{terms} share no random source: they are independent, and "
                                "their variances add",
    "sum of uncorrelated terms": "{carrier} carries the zero-mean factor {factor} in every "
                                 "term, and {other} does not depend on {factor}: they are "
                                 "uncorrelated, and their variances add",
    "sum of uncorrelated terms, one with the factor": "one of the terms carries the zero-mean "
                                                      "factor {factor} throughout, and the "
                                                      "other does not depend on {factor}: they "
                                                      "are uncorrelated, and their variances "
                                                      "add",
    "pair independent": "{first} and {second} share no random source: they are independent",
    "pair uncorrelated": "{carrier} carries the zero-mean factor {factor} in every term, and "
                         "{other} does not depend on {factor}: they are uncorrelated",
    "variances add": "the variances of the uncorrelated terms {terms} add",
    "sum of equal terms": "the sum over {over} adds {n} equal terms",
    "sum of n uncorrelated terms": "the sum over {over} adds {n} uncorrelated terms: each "
                                   "reads its own entry of {factor}, which has mean 0 and "
                                   "independent entries and is independent of the rest of "
                                   "the term",
    "sum of n independent terms": "the sum over {over} adds {n} independent terms: they read "
                                  "distinct entries of tensors with independent entries",
    "sum of n terms": "the sum over {over} adds {n} terms",

    # ---- dependence, tracked (derive.engines.moments.dependence)
    "linear in independent entries": "{terms} share the random entries of {shared}: "
                                     "written as one linear combination of independent "
                                     "entries, each entry's variance counts once for "
                                     "every pair of terms that read it",
    "sum of correlated terms": "the {n} terms of the sum over {over} share random entries: "
                               "with their covariance, counted over the pairs of terms "
                               "whose indices agree and those whose indices differ",
    "sum of correlated squares": "the {n} terms of the sum over {over} are squares of "
                                 "jointly normal entries that share random inputs: by "
                                 "Isserlis' theorem the covariance of two squares is twice "
                                 "the square of their covariance, plus four times the "
                                 "product of their means and their covariance",
    "numeric quadrature": "{expression} has no closed form here: its moments over the normal "
                          "entry {entry} are computed numerically, by the trapezoid rule "
                          "on {nodes} points over {width} standard deviations each side",
    "numeric quadrature, mean": "and its mean, by the same quadrature",
    "function of one entry": "every random part of {expression} is a function of the one "
                             "entry {entry} ({law}): its moments, integrated over {entry} "
                             "on each side of 0",

    # ---- assumptions a step makes (Step.assumptions)
    "terms uncorrelated": "the {n} terms of the sum over {over} are uncorrelated (the "
                          "problem's independence assumption: they read entries of computed "
                          "tensors)",
    "pair uncorrelated, assumed": "{first} and {second} are uncorrelated (the problem's "
                                  "independence assumption)",
    "induction hypothesis": "for the induction, {tensor} has only what {of} is shown to "
                            "have: mean {mean}, and entries that may depend on each other "
                            "(they share weights)",
    "induction hypothesis, symmetric": "for the induction, {tensor} has only what {of} is "
                                       "shown to have: mean {mean}, symmetric about it, and "
                                       "entries that may depend on each other (they share "
                                       "weights)",

    # ---- the moments table (derive.engines.moments.table)
    "relu of a symmetric argument": "{argument} is symmetric about 0, so relu keeps half of "
                                    "its second moment (the fact behind He initialization)",
    "relu of a normal argument": "{argument} is normal with mean 0",
    "relu mean unknown": "{mean} depends on the distribution of {argument} beyond its "
                         "variance: it stays unknown",
    "sigmoid of a symmetric argument": "{identity}, so the sigmoid is symmetric about its "
                                       "value at 0, and {argument} is symmetric about 0",
    "CDF of a symmetric argument": "{identity}, so Phi is symmetric about its value at 0, "
                                   "and {argument} is symmetric about 0",
    "CDF of a normal argument": "{argument} is normal with mean 0: the second moment of "
                                "Phi of it is the probability that two correlated normals "
                                "both lie below 0",
    "sigmoid mean unknown": "{argument} is not known to be symmetric about 0: {mean} stays "
                            "unknown, and the second moment is at most 1 since the values "
                            "lie between 0 and 1",
    "odd function of a symmetric argument": "{function} is odd and {argument} is symmetric "
                                            "about 0",
    "tanh mean unknown": "{argument} is not known to be symmetric about 0: {mean} stays "
                         "unknown; since {bound}, the second moment is at most that of the "
                         "argument",
    "step of a normal argument": "{argument} is normal: step of it is 1 with the "
                                 "probability that it is positive, Phi of its mean over its "
                                 "standard deviation",
    "step of a symmetric argument": "{argument} is symmetric about 0 and has no atom at 0 "
                                    "(its law is continuous), so it is positive with "
                                    "probability one half",
    "step of a two-point argument": "{argument} takes two values either side of 0, with "
                                    "probability one half each",
    "step of a symmetric argument, maybe 0": "{argument} is symmetric about 0, but may be 0 "
                                             "with positive probability (its law is not "
                                             "known to be continuous): it is positive with "
                                             "probability at most one half",
    "step mean unknown": "{argument} is not known to be symmetric about 0 or normal: the "
                         "probability {mean} that it is positive stays unknown",
    "indicator squared": "{function} takes the values 0 and 1, so its square is itself",
    "indicator as a step": "the comparison {indicator} is the step {step}",
    "indicator as a step, no atom": "the comparison {indicator} equals the step {step} "
                                    "except where its argument is 0, which has probability 0 (a "
                                    "continuous law)",
    "abs keeps the second moment": "the square of abs of {argument} is the square of "
                                   "{argument}",
    "abs of a normal argument": "{argument} is normal: its abs has the folded normal law",
    "abs mean unknown": "{mean} depends on the distribution of {argument} beyond its "
                        "variance: it stays unknown",
    "exp of a normal argument": "{argument} is normal, so exp of it is log-normal: its "
                                "mean is the moment generating function of {argument} at 1",
    "variance of a log-normal": "and the second moment of exp of {argument} is the moment "
                                "generating function at 2",
    "exp of a uniform argument": "{argument} is uniform: the mean of exp of it is its "
                                 "moment generating function at 1, and the second moment "
                                 "that at 2",
    "exp of a rademacher argument": "{argument} takes two values, one standard deviation "
                                    "either side of its mean, with probability one half "
                                    "each: the mean of exp of it is its moment generating "
                                    "function at 1, and the second moment that at 2",
    "exp of a bernoulli argument": "{argument} is 0 or 1 (bernoulli): the mean of exp of it "
                                   "is its moment generating function at 1, and the second "
                                   "moment that at 2",
    "variance of exp": "the variance of exp of {argument}, from those two moments",
    "power of a normal entry": "the moments of a normal entry {entry} (its central moments "
                               "are those of the normal law)",
    "power of a uniform entry": "the moments of a uniform entry {entry} (its central "
                                "moments are those of the uniform law on an interval of "
                                "half-width the square root of three times its variance)",
    "power of a rademacher entry": "the moments of the two-point entry {entry} (one "
                                   "standard deviation either side of its mean, with "
                                   "probability one half each)",
    "power of a bernoulli entry": "{entry} is 0 or 1 (bernoulli): every power of it is "
                                  "itself",
    "power of a t entry": "the moments of a t entry {entry} (a shift and scale of Student's "
                          "t law, whose moments are finite while its degrees of freedom "
                          "exceed their order)",
    "variance of a power": "the variance of the power of {entry}, with {moment}",
    "square of an entry": "the mean of the square of {entry} is its second moment",
    "fourth moment unknown": "its variance needs {moment}, which the assumptions on "
                             "{entry} (a mean and a variance) leave open: declare its "
                             "distribution",
    "slope at most": "the slope {slope} of {function} is at most {top}: the function "
                     "changes by at most that much times the change of its argument",
    "bounded values": "{function} lies between {low} and {high} whatever the distribution "
                      "of its argument",
    "bounded values, approached": "{function} lies between {low} and {high} whatever the "
                                  "distribution of its argument; the bound is approached "
                                  "when the argument is {low_argument} or {high_argument} "
                                  "with probability 1/2 each",

    # ---- layer recurrences
    "one layer": "one layer: {tensor} is layer {layer} and {of} is layer {next}",
    "by induction": "by induction every layer has mean {mean}",
    "the recurrence": "the one-layer recurrence",
    "solve with the first-order formula": "solve with {condition}, by the first-order "
                                          "formula",
    "solve with rsolve": "solve with {condition}, by SymPy's rsolve",
    "count layers from the condition": "the condition {condition} sits at layer {layer}, "
                                       "not at a numbered term: count layers from there, "
                                       "with {count} and {term}, so that {start}",
    "first-order formula": "by the first-order formula",
    "rsolve": "by SymPy's rsolve",
    "back to layers": "back to layers, with {count}",

    # ---- answers: symmetry, bounds, conditions, solutions, choices
    "symmetric about the mean": "{tensor} is symmetric about {mean}: flipping the sign of "
                                "{flips} (symmetric, independent of the rest) reflects it "
                                "about its mean",
    "range bounds the variance": "{tensor} takes values between {low} and {high}: for any "
                                 "distribution, with {midpoint} the middle of the range "
                                 "(Popoviciu's inequality)",
    "largest variance attained": "the largest variance is {bound}, attained by a "
                                 "distribution that puts probability 1/2 on each end of "
                                 "the range",
    "largest variance approached": "the largest variance is {bound}, approached but not "
                                   "attained: the input {argument} equal to {low_argument} "
                                   "or {high_argument} with probability 1/2 each puts "
                                   "{tensor} at {low} or {high} with probability 1/2 each",
    "at layer": "at layer {layer}, the condition reads",
    "over many layers": "over many layers {power} tends to 0 when {condition}: the "
                        "variance tends to the fixed point of the recurrence, and the "
                        "condition reads",
    "the condition": "the condition {condition}, with {moments}",
    "solve for": "solve for {symbol}",
    "solve for the positive root": "solve for {symbol}, the positive root",
    "solve for, roots": "solve for {symbol}: the roots are {roots}",
    "mean for every value": "the mean does not depend on {symbol}",
    "approximate a power by an exponential": "approximate {pattern} by {approximation}, "
                                             "with {parts}: accurate when {small} is small, "
                                             "as the exponent is then off by about {error}",
    "approximate a logarithm by its argument": "approximate {pattern} by {approximation}, "
                                               "with {parts}: accurate when {small} is "
                                               "small, with an error of about {error}",
    "the approximate condition": "the condition becomes",
    "compare: smaller": "{quantity} is smaller than {other}",
    "compare: equal": "{quantity} equals {other}",
    "compare: larger": "{quantity} is larger than {other}",
}
