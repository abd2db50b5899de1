"""`derive new ID`: a commented skeleton spec, a small real problem that verifies as
written (a one-layer tanh network), for an instructor to edit into their own."""
from __future__ import annotations

from pathlib import Path

from derive.core.errors import SpecError
from derive.front.folder import COURSE_FILE
from derive.front.spec import _ID

SKELETON = r"""# A problem spec for derive (docs/specs.md describes every key).
# Edit it into your problem; `derive lint {id}` and `derive verify {id}` check it,
# `derive solve {id}` prints the answers, `derive key {id}` typesets them.

id: {id}                       # the file's name: lower-case letters, digits and _
title: One layer of a tanh network        # the heading of the problem
source: Your course, the problem this comes from    # required: the course you cite
course: Your course            # optional: the course line of the documents

index:                         # loop indices and their ranges
  i: n                         # i runs over 0..n-1; n becomes a positive integer size
  j: m                         # j over 0..m-1; a CAPITAL index (I, J) is summed over
                               # its lower-case one's range; 1..T is an explicit range
sizes: {{n: 2, m: 2}}           # default sizes (runs, the worked example); checks also
                               # try other sizes
symbols:                       # scalar symbols that are not tensors
  sigma_W: {{positive: true, latex: '\sigma_W'}}   # latex: how the documents print it

tensors:                       # every tensor of the program
  x: {{shape: [i], role: input, latex: 'x', domain: real}}  # domain: where checks draw
                               # its random values (real, positive, unit, probability,
                               # onehot)
  W: {{shape: [j, i], role: parameter, latex: 'W'}}   # role: input, parameter, or
  c: {{shape: [j], role: parameter, latex: 'c'}}      # computed (written by the program)
  z: {{latex: 'z'}}              # a computed tensor's shape is inferred from its writes
  h: {{latex: 'h'}}

program: |                     # the forward program, in the course notation
  z[j] = W[j, I] * x[I] + c[j]
  h[j] = tanh(z[j])

values: |                      # concrete inputs, for the worked example (numeric parts)
  x = [1, 2]
  W = [[1, -1], [0, 2]]
  c = [0, 1]
  sigma_W = 1                  # a worked example needs a value for every symbol too

assume:                        # random initialization, for the moments parts
  x: {{mean: 0, variance: 1}}                            # a random example
  W: {{mean: 0, variance: 'sigma_W^2', symmetric: true}} # the initial weights
  c: {{constant: 0}}                                     # biases start at zero

statement: |                   # the problem, in your words (LaTeX allowed)
  One layer of a network computes $z = W x + c$ and $h = \tanh(z)$ for an input
  $x \in \mathbb{{R}}^n$, weights $W \in \mathbb{{R}}^{{m \times n}}$ and biases
  $c \in \mathbb{{R}}^m$.

parts:                         # ordered; each key is a part's label
  a:
    ask: backprop              # backward loops in the notation
    from: h                    # the tensor(s) whose .grad is given
    to: [W, c]                 # the gradients wanted (or params: every parameter)
    text: |                    # the question
      Given h.grad, write loops of $+=$ updates that compute W.grad and c.grad.
  b:
    ask: numeric               # the worked example: every value, from values:
    show: [z, h]               # the tensors to tabulate
    text: |
      With the values above, compute $z$ and $h$.
  c:
    ask: cost                  # work and parallel depth as a function of a size
    of: backward               # backward or forward
    in: n                      # the size the answer is about: O(n)
    measure: work              # work, depth or both
    text: |
      How does the work of backpropagation grow with the number of inputs $n$?
  d:
    ask: variance              # a moment at initialization, from assume:
    of: z
    text: |
      At initialization, what is the variance of $z[j]$?
  e:
    ask: solve                 # a symbol chosen so that a moment condition holds
    for: sigma_W
    condition: {{of: 'Var(z)', equals: 1}}
    text: |
      Which $\sigma_W$ gives $z[j]$ variance one?
  f:
    ask: text                  # a question no engine derives: your answer, as given
    answer: |
      The tanh saturates for large $|z|$, so its gradient vanishes there.
    text: |
      Why should the variance of $z$ not be much larger than one?
"""


def skeleton_text(pid: str) -> str:
    """The skeleton spec of a problem with this id."""
    return SKELETON.format(id=pid)


def write_skeleton(pid: str, directory) -> Path:
    """Write `directory/pid.yaml`; an id the loader would refuse, or a file that is
    there already, is a SpecError (nothing is written)."""
    if not _ID.match(pid):
        raise SpecError(f"{pid!r} is not a problem id: lower-case letters, digits and _, "
                        "starting with a letter", pid)
    path = Path(directory) / f"{pid}.yaml"
    if path.name == COURSE_FILE:
        raise SpecError(f"{COURSE_FILE} is the folder's course file: choose another id",
                        str(path))
    if not Path(directory).is_dir():
        raise SpecError("no such folder", str(directory))
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(skeleton_text(pid))
    except FileExistsError:
        raise SpecError("the file exists already: derive new does not overwrite it "
                        "(choose another id, or remove the file)", str(path)) from None
    return path
