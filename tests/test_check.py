"""`derive check`: students' answers judged by meaning, explained when wrong.

One table row per answer: (problem, part, answer text, expected verdict, a
fragment of the diagnosis).  For every part with a gradient to give there are
correct answers in at least two forms (renamed indices, split or merged loops,
reordered statements, equal algebra, forward quantities instead of their
definitions, temporaries, statements without `for`) and at least three
typical wrong answers, each with the diagnosis it must get.  Rows the checker
still gets wrong are xfail(strict=True) with the reason.

Then: the seeds' own printed answers checked as if a student wrote them, and
the command line as an autograder sees it (exit codes, --json, --show-answer,
--batch, errors).
"""
from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from derive.check.verdict import Verdict
from derive.check.answer import check_answer
from derive.cli import cli
from derive.front.spec import load_spec
from derive.front.folder import default_problems_dir, resolve_problem

_SPECS: dict = {}


def spec_of(problem: str):
    if problem not in _SPECS:
        _SPECS[problem] = load_spec(resolve_problem(problem))
    return _SPECS[problem]


def check(problem: str, part: str, text: str, **kw) -> Verdict:
    return check_answer(spec_of(problem), part, text, **kw)


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def row(problem, part, text, verdict, fragment="", id=None, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(problem, part, text, verdict, fragment, id=f"{problem}:{part}:{id}",
                        marks=marks)


def lines(*statements) -> str:
    return "\n".join(statements)


# the usual diagnosis fragments
SIGN = "sign flipped: the answer is the negative of the correct gradient"
TERM_SIGN = "sign flipped in one term"
FACTOR = "a constant factor is off: the answer is"
MISSING = "a term is missing"
TWICE = "a term is counted twice"
ORDER = "wrong order of statements"
WRONG_TENSOR = "gradient with respect to the wrong tensor"
NOT_WRITTEN = "no statement writes"
TRANSPOSED = "indices transposed"
NONE = "no common mistake recognized"

# --------------------------------------------------------------------------
# hand-written answers, one block per problem
# --------------------------------------------------------------------------

SOFTMAX_FULL_E = lines(
    "for b, j: e[b] -= p[b, j] * p.grad[b, j]",
    "for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])")
SOFTMAX_FULL_PIECES = lines(          # problem 2's three loops, in order
    "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]",
    "for b, j: Z.grad[b] -= p.grad[b, j] * p[b, j] / Z[b]",
    "for b, j: s.grad[b, j] += exp(s[b, j]) * Z.grad[b]")

BATCHNORM_SPLIT = lines(
    "for b, j: s.grad[j] -= 1/2 * xp.grad[b, j] * (x[b, j] - mu[j]) * s[j]^(-3/2)",
    "for b, j: x.grad[b, j] += xp.grad[b, j] / sqrt(s[j])",
    "for b, j: mu.grad[j] -= xp.grad[b, j] / sqrt(s[j])",
    "for b, j: x.grad[b, j] += 2/(B-1) * (x[b, j] - mu[j]) * s.grad[j]",
    "for b, j: mu.grad[j] -= 2/(B-1) * (x[b, j] - mu[j]) * s.grad[j]",
    "for b, j: x.grad[b, j] += 1/B * mu.grad[j]")
BATCHNORM_MERGED = lines(
    "for c, k: s.grad[k] += -xp.grad[c, k] * xp[c, k] / (2 * s[k])",
    "for c, k: mu.grad[k] += -xp.grad[c, k] / sqrt(s[k])",      # the s term sums to zero
    "for c, k: x.grad[c, k] += xp.grad[c, k] / sqrt(s[k]) "
    "+ 2 * (x[c, k] - mu[k]) * s.grad[k] / (B-1) + mu.grad[k] / B")

UGRNN_A = lines(
    "for t in 1..T, b, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i]",
    "for t in 1..T, b, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]",
    "for t in 1..T, b, j: Rt[b, t, j] -= BR[j]")
UGRNN_B = lines(
    "for b, t, j, i: Whr.grad[j, i] += 1/B * Rt.grad[b, t, j] * h[b, t-1, i]",
    "for b, t, j, i: h.grad[b, t-1, i] += Rt.grad[b, t, j] * Whr[j, i]",
    "for b, t, j, k: Wxr.grad[j, k] += 1/B * Rt.grad[b, t, j] * x[b, t, k]",
    "for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]",
    "for b, t, j: BR.grad[j] -= 1/B * Rt.grad[b, t, j]")
UGRNN_B_BLOCK = lines(              # backwards in time, statements reordered, renamed
    "for s in T..1:",
    "    for c, m: BR.grad[m] -= Rt.grad[c, s, m] / B",
    "    for c, m, n: h.grad[c, s-1, n] += Whr[m, n] * Rt.grad[c, s, m]",
    "    for c, m, n: Whr.grad[m, n] += h[c, s-1, n] * Rt.grad[c, s, m] / B",
    "    x.grad[c, s, k] = Rt.grad[c, s, M] * Wxr[M, k]",
    "    Wxr.grad[m, k] += Rt.grad[C, s, m] * x[C, s, k] / B")

GRU = lines(
    "for t in T..1:",
    "    dR[b, t, j] = h.grad[b, t, j] * G2[b, t, j] * (1 - R[b, t, j]^2)",
    "    dG2[b, t, j] = h.grad[b, t, j] * (R[b, t, j] - h[b, t-1, j]) * G2[b, t, j] * (1 - G2[b, t, j])",
    "    hp.grad[b, t, i] = dR[b, t, J] * Whr[J, i]",
    "    dG1[b, t, j] = hp.grad[b, t, j] * h[b, t-1, j] * G1[b, t, j] * (1 - G1[b, t, j])",
    "    h.grad[b, t-1, j] += h.grad[b, t, j] * (1 - G2[b, t, j]) + hp.grad[b, t, j] * G1[b, t, j]"
    " + dG2[b, t, J] * Whg2[J, j] + dG1[b, t, J] * Whg1[J, j]",
    "    BR.grad[j] -= dR[B, t, j]",
    "    Whr.grad[j, i] += dR[B, t, j] * hp[B, t, i]",
    "    Wxr.grad[j, k] += dR[B, t, j] * x[B, t, k]",
    "    BG2.grad[j] -= dG2[B, t, j]",
    "    Whg2.grad[j, i] += dG2[B, t, j] * h[B, t-1, i]",
    "    Wxg2.grad[j, k] += dG2[B, t, j] * x[B, t, k]",
    "    BG1.grad[j] -= dG1[B, t, j]",
    "    Whg1.grad[j, i] += dG1[B, t, j] * h[B, t-1, i]",
    "    Wxg1.grad[j, k] += dG1[B, t, j] * x[B, t, k]")

TWO_GATE = lines(
    "for t in T..1:",
    "    dGh[b, t, j] = h.grad[b, t, j] * (h[b, t-1, j] - R[b, t, j]) * Gh[b, t, j] * (1 - Gh[b, t, j])",
    "    dR[b, t, j] = h.grad[b, t, j] * (1 - Gh[b, t, j]) * (1 - R[b, t, j]^2)",
    "    dGR[b, t, j] = dR[b, t, j] * ((Whr[j, I] * h[b, t-1, I] - Bhr[j]) - (Wxr[j, K] * x[b, t, K]"
    " - Bxr[j])) * GR[b, t, j] * (1 - GR[b, t, j])",
    "    dH[b, t, j] = dR[b, t, j] * GR[b, t, j]",
    "    dX[b, t, j] = dR[b, t, j] * (1 - GR[b, t, j])",
    "    h.grad[b, t-1, i] += h.grad[b, t, i] * Gh[b, t, i] + dGh[b, t, J] * Whgh[J, i]"
    " + dGR[b, t, J] * Whgr[J, i] + dH[b, t, J] * Whr[J, i]",
    "    BGh.grad[j] -= dGh[B, t, j]",
    "    Whgh.grad[j, i] += dGh[B, t, j] * h[B, t-1, i]",
    "    Wxgh.grad[j, k] += dGh[B, t, j] * x[B, t, k]",
    "    BGR.grad[j] -= dGR[B, t, j]",
    "    Whgr.grad[j, i] += dGR[B, t, j] * h[B, t-1, i]",
    "    Wxgr.grad[j, k] += dGR[B, t, j] * x[B, t, k]",
    "    Bhr.grad[j] -= dH[B, t, j]",
    "    Whr.grad[j, i] += dH[B, t, j] * h[B, t-1, i]",
    "    Bxr.grad[j] -= dX[B, t, j]",
    "    Wxr.grad[j, k] += dX[B, t, j] * x[B, t, k]")

UGCNN = lines(
    "for b, x, y, j: dR[b, x, y, j] = L1.grad[b, x, y, j] * (1 - G[b, x, y, j]) * (1 - R[b, x, y, j]^2)",
    "for b, x, y, j: dG[b, x, y, j] = L1.grad[b, x, y, j] * (L0[b, x, y, j] - R[b, x, y, j])"
    " * G[b, x, y, j] * (1 - G[b, x, y, j])",
    "for b, x, y, j: BR.grad[j] -= dR[b, x, y, j]",
    "for b, x, y, j: BG.grad[j] -= dG[b, x, y, j]",
    "for b, x, y, j, dx, dy, i: WR.grad[dx, dy, i, j] += dR[b, x, y, j] * L0[b, x+dx, y+dy, i]",
    "for b, x, y, j, dx, dy, i: WG.grad[dx, dy, i, j] += dG[b, x, y, j] * L0[b, x+dx, y+dy, i]",
    "for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * G[b, x, y, j]",
    "for b, x, y, j, dx, dy, i: L0.grad[b, x+dx, y+dy, i] += dR[b, x, y, j] * WR[dx, dy, i, j]"
    " + dG[b, x, y, j] * WG[dx, dy, i, j]")

LENET_A = lines(
    "for r, c, d: g[r, c, d] = X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])",
    "a.grad[d] = g[R, C, d]",
    "w.grad[d] = g[R, C, d] * (Y[2*R, 2*C, d] + Y[2*R+1, 2*C, d] + Y[2*R, 2*C+1, d]"
    " + Y[2*R+1, 2*C+1, d]) / 4",
    "for r, c, d: Y.grad[2*r, 2*c, d] += w[d] * g[r, c, d] / 4",
    "for r, c, d: Y.grad[2*r+1, 2*c, d] += w[d] * g[r, c, d] / 4",
    "for r, c, d: Y.grad[2*r, 2*c+1, d] += w[d] * g[r, c, d] / 4",
    "for r, c, d: Y.grad[2*r+1, 2*c+1, d] += w[d] * g[r, c, d] / 4")
LENET_A_XT = lines(                   # through Xt.grad, sigma written out, loops merged
    "for r, c, d: Xt.grad[r, c, d] += X1.grad[r, c, d] * sigma(Xt[r, c, d]) * (1 - sigma(Xt[r, c, d]))",
    "for r, c, d: a.grad[d] += Xt.grad[r, c, d]",
    "for r, c, d: w.grad[d] += Xt.grad[r, c, d] * (Xt[r, c, d] - a[d]) / w[d]",
    "for r, c, d: Y.grad[2*r, 2*c, d] += w[d] / 4 * Xt.grad[r, c, d]",
    "for r, c, d: Y.grad[2*r+1, 2*c, d] += w[d] / 4 * Xt.grad[r, c, d]",
    "for r, c, d: Y.grad[2*r, 2*c+1, d] += w[d] / 4 * Xt.grad[r, c, d]",
    "for r, c, d: Y.grad[2*r+1, 2*c+1, d] += w[d] / 4 * Xt.grad[r, c, d]")

LENET_B = lines(
    "Yt.grad[m, n, d] = Y.grad[m, n, d] * (1 - tanh(Yt[m, n, d])^2)",
    "b.grad[d] = Yt.grad[M, N, d]",
    "W.grad[dx, dy, p, d] = Yt.grad[M, N, d] * X0[M+dx, N+dy, p]",
    "for m, n, d, dx, dy, p: X0.grad[m+dx, n+dy, p] += W[dx, dy, p, d] * Yt.grad[m, n, d]")
LENET_B_WIDE = lines(                 # the input gradient read off the output: a wide convolution
    "for m, n, d: e[m, n, d] = Y.grad[m, n, d] * (1 - Y[m, n, d]^2)",
    "for d, m, n: b.grad[d] += e[m, n, d]",
    "for dx, dy, p, d, m, n: W.grad[dx, dy, p, d] += X0[m+dx, n+dy, p] * e[m, n, d]",
    "for u, v, p, d, dx, dy: X0.grad[u, v, p] += W[dx, dy, p, d] * e[u-dx, v-dy, d]")

LOSS_HEADS = lines(
    "e = 2 * (yhat - y)",
    "By.grad = -e",
    "Wy.grad[j] = e * h[L, j]",
    "h.grad[L, j] = e * Wy[j]",
    "for k in L..1:",
    "    g[k, i] = h.grad[k, i] * ht[k, i] * (1 - ht[k, i])",
    "    Bh.grad[k, i] = -g[k, i]",
    "    W.grad[k, i, j] = g[k, i] * h[k-1, j]",
    "    h.grad[k-1, j] = h.grad[k, j] + W[k, I, j] * g[k, I]")

LOSS_HEADS_LOOPS = lines(             # += loops, the block index renamed, the skip added last
    "yhat.grad = 2 * (yhat - y)",
    "By.grad -= yhat.grad",
    "for j: Wy.grad[j] += yhat.grad * h[L, j]",
    "for j: h.grad[L, j] += yhat.grad * Wy[j]",
    "for l in L..1:",
    "    for i: g[l, i] = h.grad[l, i] * sigma(W[l, i, J] * h[l-1, J] - Bh[l, i])"
    " * (1 - ht[l, i])",
    "    for i, j: W.grad[l, i, j] += g[l, i] * h[l-1, j]",
    "    for i: Bh.grad[l, i] -= g[l, i]",
    "    for i, j: h.grad[l-1, j] += W[l, i, j] * g[l, i]",
    "    for i: h.grad[l-1, i] += h.grad[l, i]")

MLP_CE = lines(
    "a2.grad[j] = yhat[j] * y[J] - y[j]",        # = yhat - y when y sums to 1
    "W2.grad[j, k] = a2.grad[j] * z[k] + lam * W2[j, k]",
    "b2.grad[j] = a2.grad[j]",
    "a1.grad[k] = W2[J, k] * a2.grad[J] * z[k] * (1 - z[k])",
    "W1.grad[k, i] = a1.grad[k] * x[i] + lam * W1[k, i]",
    "b1.grad[k] = a1.grad[k]")
MLP_CE_CHAIN = lines(                 # step by step through yhat, with the softmax trick
    "for j: yhat.grad[j] = -y[j] / yhat[j]",
    "e = -yhat[J] * yhat.grad[J]",
    "for j: a2.grad[j] = yhat[j] * (yhat.grad[j] + e)",
    "for j: b2.grad[j] += a2.grad[j]",
    "for j, k: W2.grad[j, k] += a2.grad[j] * z[k] + lam * W2[j, k]",
    "for j, k: z.grad[k] += W2[j, k] * a2.grad[j]",
    "for k: a1.grad[k] += z.grad[k] * sigma(a1[k]) * (1 - sigma(a1[k]))",
    "for k: b1.grad[k] += a1.grad[k]",
    "for k, i: W1.grad[k, i] += a1.grad[k] * x[i] + lam * W1[k, i]")

RNN_A = lines(
    "for t in T..1:",
    "    h.grad[t, i] += V[C, i] * (yhat[t, C] - y[t, C])",
    "    z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]",
    "    h.grad[t-1, i] += U[M, i] * z.grad[t, M]")
RNN_A_DELTA = lines(                  # the delta recurrence in one statement
    "for s in T..1:",
    "    for m: z.grad[s, m] += (1 - tanh(z[s, m])^2) * (V[C, m] * (yhat[s, C] - y[s, C])"
    " + U[M, m] * z.grad[s+1, M])")
RNN_B = lines(
    "for t in T..1:",
    "    for m: z.grad[t, m] = (1 - h[t, m]^2) * (V[C, m] * (yhat[t, C] - y[t, C])"
    " + U[M, m] * z.grad[t+1, M])",
    "for t, m, i: U.grad[m, i] += z.grad[t, m] * h[t-1, i]",
    "for t, m, k: W.grad[m, k] += z.grad[t, m] * x[t, k]",
    "for t, m: b.grad[m] += z.grad[t, m]")
RNN_B_SUMS = lines(                   # Einstein sums over time, outside the recurrence
    "for t in T..1:",
    "    h.grad[t, i] += V[C, i] * (yhat[t, C] - y[t, C])",
    "    z.grad[t, m] = (1 - h[t, m]^2) * h.grad[t, m]",
    "    h.grad[t-1, i] += U[M, i] * z.grad[t, M]",
    "U.grad[m, i] = z.grad[T, m] * h[T-1, i]",
    "W.grad[m, k] = z.grad[T, m] * x[T, k]",
    "b.grad[m] = z.grad[T, m]")

NUMERIC_VEC = lines(
    "h.grad[i] = (y - t) * v[i]",
    "v.grad[i] = (y - t) * h[i]",
    "z.grad[i] = step(z[i]) * h.grad[i]",
    "W.grad[i, j] = z.grad[i] * x[j]")
NUMERIC_VEC_LOOPS = lines(
    "y.grad = y - t",
    "for i: v.grad[i] += y.grad * h[i]",
    "for i: h.grad[i] += y.grad * v[i]",
    "for i: z.grad[i] += (z[i] > 0) * h.grad[i]",
    "for i, j: W.grad[i, j] += x[j] * z.grad[i]")

REG_B = lines(
    "e[k] = 2 * (yhat[k] - y[k])",
    "b2.grad[k] = e[k]",
    "W2.grad[k, j] = e[k] * z2[j]",
    "d[j] = e[K] * W2[K, j] * step(z1[j])",
    "b1.grad[j] = d[j]",
    "W1.grad[j, i] = d[j] * x[i]")
REG_B_LOOPS = lines(
    "for k: z3.grad[k] += 2 * (z3[k] - y[k])",
    "for k: b2.grad[k] += z3.grad[k]",
    "for k, j: W2.grad[k, j] += z3.grad[k] * relu(z1[j])",
    "for k, j: z1.grad[j] += z3.grad[k] * W2[k, j] * (z1[j] > 0)",
    "for j: b1.grad[j] += z1.grad[j]",
    "for j, i: W1.grad[j, i] += z1.grad[j] * x[i]")

CLS_B = lines(
    "e[k] = (yhat[k] - y[k]) / K",
    "b2.grad[k] = e[k]",
    "W2.grad[k, j] = e[k] * z2[j]",
    "d[j] = e[K] * W2[K, j] * z2[j] * (1 - z2[j])",
    "b1.grad[j] = d[j]",
    "W1.grad[j, i] = d[j] * x[i]")
CLS_B_CHAIN = lines(
    "for k: yhat.grad[k] = -(y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k])) / K",
    "for k: z3.grad[k] = yhat.grad[k] * sigma(z3[k]) * (1 - sigma(z3[k]))",
    "for k, j: W2.grad[k, j] += z3.grad[k] * sigma(z1[j])",
    "for k: b2.grad[k] += z3.grad[k]",
    "for k, j: z2.grad[j] += W2[k, j] * z3.grad[k]",
    "for j: z1.grad[j] = z2.grad[j] * exp(-z1[j]) / (1 + exp(-z1[j]))^2",
    "for j, i: W1.grad[j, i] += z1.grad[j] * x[i]",
    "for j: b1.grad[j] += z1.grad[j]")


def edit(text: str, old: str, new: str) -> str:
    """One statement of a correct answer edited into a typical mistake."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


ROWS = [
    # ---- softmax (seed 000 problems 2 and 3) ----
    row("softmax", "a", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]", "correct", id="p"),
    row("softmax", "a", "for bb, jj: s.grad[bb, jj] += p.grad[bb, jj] * exp(s[bb, jj]) / Z[bb]",
        "correct", id="renamed_exp_over_Z"),
    row("softmax", "a", "s.grad[b, j] = p.grad[b, j] * p[b, j]", "correct", id="no_for"),
    row("softmax", "a", "for b, j: s.grad[b, j] -= p.grad[b, j] * p[b, j]", "incorrect", SIGN,
        id="sign"),
    row("softmax", "a", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] / 2", "incorrect",
        FACTOR + " 1/2 times", id="half"),
    row("softmax", "a", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j] / B", "incorrect",
        FACTOR + " 1/B times", id="over_B"),
    row("softmax", "a", "for b, j: Z.grad[b] += p.grad[b, j] * p[b, j]", "incorrect",
        WRONG_TENSOR + ": the answer computes Z.grad, the part asks for s.grad", id="wrong_tensor"),
    row("softmax", "b", "for b, j: Z.grad[b] -= p.grad[b, j] * p[b, j] / Z[b]", "correct", id="p"),
    row("softmax", "b", "Z.grad[b] = -p.grad[b, J] * exp(s[b, J]) / Z[b]^2", "correct",
        id="einstein_exp"),
    row("softmax", "b", "for b, j: Z.grad[b] += p.grad[b, j] * p[b, j] / Z[b]", "incorrect", SIGN,
        id="sign"),
    row("softmax", "b", "for b, j: Z.grad[b] -= 2 * p.grad[b, j] * p[b, j] / Z[b]", "incorrect",
        FACTOR + " 2 times", id="twice"),
    row("softmax", "b", "for b, j: s.grad[b, j] -= p.grad[b, j] * p[b, j] / Z[b]", "incorrect",
        WRONG_TENSOR, id="wrong_tensor"),
    row("softmax", "c", "for b, j: s.grad[b, j] += exp(s[b, j]) * Z.grad[b]", "correct", id="exp"),
    row("softmax", "c", "s.grad[b, j] = Z.grad[b] * p[b, j] * Z[b]", "correct", id="p_times_Z"),
    row("softmax", "c", "for b, j: s.grad[b, j] -= exp(s[b, j]) * Z.grad[b]", "incorrect", SIGN,
        id="sign"),
    row("softmax", "c", "for b, j: s.grad[b, j] += exp(s[b, j]) * Z.grad[b] / J", "incorrect",
        FACTOR + " 1/J times", id="over_J"),
    row("softmax", "c", "for b, j: Z.grad[b] += exp(s[b, j])", "incorrect", WRONG_TENSOR,
        id="wrong_tensor"),
    row("softmax", "full", SOFTMAX_FULL_E, "correct", id="seed_e_form"),
    row("softmax", "full", SOFTMAX_FULL_PIECES, "correct", id="three_loops"),
    row("softmax", "full", lines("for b, k: e[b] += p[b, k] * p.grad[b, k]",
                                 "s.grad[b, j] = p[b, j] * (p.grad[b, j] - e[b])"),
        "correct", id="e_plus_no_for"),
    row("softmax", "full", edit(SOFTMAX_FULL_E, "+= p[b, j] * (", "-= p[b, j] * ("), "incorrect",
        SIGN, id="sign"),
    row("softmax", "full", edit(SOFTMAX_FULL_E, "e[b] -=", "e[b] +="), "incorrect",
        TERM_SIGN + ": the part of s.grad that flows back through Z", id="sign_of_e"),
    row("softmax", "full", "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]", "incorrect",
        MISSING + ": the part of s.grad that flows back through Z", id="missing_Z_path"),
    row("softmax", "full", lines("for b, j: s.grad[b, j] += exp(s[b, j]) * Z.grad[b]",
                                 "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]",
                                 "for b, j: Z.grad[b] -= p.grad[b, j] * p[b, j] / Z[b]"),
        "incorrect", ORDER + ": statement 1 reads Z.grad before statement 3", id="order"),
    row("softmax", "full", edit(SOFTMAX_FULL_E, "(p.grad[b, j] + e[b])", "(p.grad[b, j] + 2*e[b])"),
        "incorrect", TWICE + ": the part of s.grad that flows back through Z", id="e_twice"),
    row("softmax", "full", lines("for b, j: s.grad[b, j] += p[b, j] * (p.grad[b, j] + e[b])",
                                 "for b, j: e[b] -= p[b, j] * p.grad[b, j]"),
        "incorrect", "wrong order of statements: statement 1 reads e before statement 2 "
        "writes it", id="temporary_read_before_written"),
    # ---- batchnorm (seed 000 problem 4) ----
    row("batchnorm", "a", BATCHNORM_SPLIT, "correct", id="split_loops"),
    row("batchnorm", "a", BATCHNORM_MERGED, "correct", id="merged_renamed_xp"),
    row("batchnorm", "a", edit(BATCHNORM_MERGED, "/ (B-1)", "/ B"), "incorrect",
        "a constant factor is off in one term: the part of x.grad that flows back through s is "
        "(B-1)/B times", id="biased_1_over_B"),
    row("batchnorm", "a", edit(BATCHNORM_SPLIT, "for b, j: x.grad[b, j] += 1/B * mu.grad[j]", ""),
        "incorrect", MISSING + ": the part of x.grad that flows back through mu", id="missing_mu"),
    row("batchnorm", "a", edit(BATCHNORM_SPLIT, "s.grad[j] -= 1/2", "s.grad[j] += 1/2"),
        "incorrect", TERM_SIGN + ": the part of x.grad that flows back through s", id="sign_s"),
    row("batchnorm", "a", edit(BATCHNORM_SPLIT, "-= 1/2 *", "-="), "incorrect",
        TWICE + ": the part of x.grad that flows back through s", id="s_twice"),
    row("batchnorm", "a", lines(*[BATCHNORM_SPLIT.split("\n")[k] for k in (0, 5, 1, 2, 3, 4)]),
        "incorrect", ORDER + ": statement 2 reads mu.grad before statement 4", id="order"),
    # ---- relu_unit (seed 000 problem 1) ----
    row("relu_unit", "a", "w.grad[i] = y.grad * step(z) * x[i]", "correct", id="no_for"),
    row("relu_unit", "a", "for k: w.grad[k] += y.grad * (z > 0) * x[k]", "correct",
        id="indicator_renamed"),
    row("relu_unit", "a", lines("z.grad = y.grad * step(z)", "for i: w.grad[i] += z.grad * x[i]"),
        "correct", id="through_z"),
    row("relu_unit", "a", "w.grad[i] = y.grad * step(w[J] * x[J]) * x[i]", "correct",
        id="z_written_out"),
    row("relu_unit", "a", "w.grad[i] = -y.grad * step(z) * x[i]", "incorrect", SIGN, id="sign"),
    row("relu_unit", "a", "w.grad[i] = 2 * y.grad * step(z) * x[i]", "incorrect",
        FACTOR + " 2 times", id="twice"),
    row("relu_unit", "a", "x.grad[i] = y.grad * step(z) * w[i]", "incorrect",
        WRONG_TENSOR + ": the answer computes x.grad, the part asks for w.grad", id="wrong_tensor"),
    row("relu_unit", "a", "w.grad[i] = y.grad * relu(z) * x[i]", "incorrect",
        "times a factor that changes with the inputs", id="relu_for_step"),
    # ---- ugrnn (seed 000 problem 5) ----
    row("ugrnn", "a", UGRNN_A, "correct", id="plus_equals_loops"),
    row("ugrnn", "a", lines(*reversed(UGRNN_A.split("\n"))), "correct", id="reordered"),
    row("ugrnn", "a", lines("for b, t, j: Rt[b, t, j] = -BR[j]",
                            "for b, t, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]",
                            "for b, t, j, i: Rt[b, t, j] += Whr[j, i] * h[b, t-1, i]"),
        "correct", id="assign_first"),
    row("ugrnn", "a", edit(UGRNN_A, "Rt[b, t, j] -= BR[j]", "Rt[b, t, j] += BR[j]"), "incorrect",
        "the term in BR has the wrong sign", id="sign_bias"),
    row("ugrnn", "a", edit(UGRNN_A, "for t in 1..T, b, j, k: Rt[b, t, j] += Wxr[j, k] * x[b, t, k]\n",
                           ""),
        "incorrect", "the term in Wxr and x is missing", id="missing_input_term"),
    row("ugrnn", "a", UGRNN_A + "\nfor t in 1..T, b, j: Rt[b, t, j] -= BR[j]", "incorrect",
        "the term in BR is counted twice", id="bias_twice"),
    row("ugrnn", "a", edit(UGRNN_A, "h[b, t-1, i]", "h[b, t, i]"), "incorrect",
        "an index is off by one: in line 1, h is read one step too late (its index t",
        id="time_off_by_one"),
    row("ugrnn", "a", edit(UGRNN_A, "Whr[j, i]", "Whr[i, j]"), "incorrect",
        "indices transposed: in line 1, Whr is read with its indices in the wrong order",
        id="transposed_weight"),
    row("ugrnn", "b", UGRNN_B, "correct", id="loops_over_t"),
    row("ugrnn", "b", UGRNN_B_BLOCK, "correct", id="block_renamed_no_for"),
    row("ugrnn", "b", edit(UGRNN_B, "BR.grad[j] -= ", "BR.grad[j] += "), "incorrect", SIGN,
        id="sign_bias"),
    row("ugrnn", "b", UGRNN_B.replace("1/B * ", ""), "incorrect", FACTOR + " B times",
        id="summed_not_averaged"),
    row("ugrnn", "b", UGRNN_B.replace("1/B", "1/(B-1)"), "incorrect", FACTOR + " B/(B-1) times",
        id="over_B_minus_1"),
    row("ugrnn", "b", edit(UGRNN_B, "for b, t, j, k: x.grad[b, t, k] += Rt.grad[b, t, j] * Wxr[j, k]\n",
                           ""),
        "incorrect", NOT_WRITTEN + " x.grad", id="missing_x_grad"),
    row("ugrnn", "b", edit(UGRNN_B, "1/B * Rt.grad[b, t, j] * h[b, t-1, i]",
                           "1/B * Rt.grad[b, t, j] * h[b, t, i]"),
        "incorrect", "h is read one step too late (its index t is off by one)",
        id="time_off_by_one"),
    # ---- gru (seed 001 problem 7): hand-written, plus the derived text below ----
    row("gru", "a", GRU, "correct", id="hand_written"),
    row("gru", "a", edit(GRU, "BR.grad[j] -= dR", "BR.grad[j] += dR"), "incorrect", SIGN,
        id="sign_bias"),
    row("gru", "a", edit(GRU, " + hp.grad[b, t, j] * G1[b, t, j]", ""), "incorrect",
        MISSING + ": the part of Whg1.grad that flows back through h", id="missing_reset_path"),
    row("gru", "a", edit(GRU, "Wxg1.grad[j, k] += dG1", "Wxg1.grad[j, k] += 2 * dG1"), "incorrect",
        FACTOR + " 2 times", id="twice"),
    # ---- two_gate_rnn (seed 001 problem 5) ----
    row("two_gate_rnn", "a", TWO_GATE, "correct", id="hand_written"),
    row("two_gate_rnn", "a", edit(TWO_GATE, "Bxr.grad[j] -= dX", "Bxr.grad[j] += dX"), "incorrect",
        SIGN, id="sign_bias"),
    row("two_gate_rnn", "a", edit(TWO_GATE, "Whr.grad[j, i] += dH", "Whr.grad[j, i] += 2 * dH"),
        "incorrect", FACTOR + " 2 times", id="twice"),
    row("two_gate_rnn", "a", edit(TWO_GATE, "h.grad[b, t, i] * Gh[b, t, i] + ", ""), "incorrect",
        MISSING + ": the part of Whgr.grad that flows back through h", id="missing_carry"),
    # ---- ugcnn (seed 001 problem 4) ----
    row("ugcnn", "a", UGCNN, "correct", id="hand_written"),
    row("ugcnn", "a", edit(UGCNN, "BR.grad[j] -= dR", "BR.grad[j] += dR"), "incorrect", SIGN,
        id="sign_bias"),
    row("ugcnn", "a", edit(UGCNN, "for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j] * "
                                  "G[b, x, y, j]\n", ""),
        "incorrect", MISSING + ": the part of L0.grad that comes from the forward statement `L1",
        id="missing_skip"),
    row("ugcnn", "a", edit(UGCNN, "* L0[b, x+dx, y+dy, i]\nfor b, x, y, j, dx, dy, i: WG",
                           "* L0[b, x+dx, y+dy, i] / 2\nfor b, x, y, j, dx, dy, i: WG"),
        "incorrect", FACTOR + " 1/2 times", id="half"),
    row("ugcnn", "a", edit(UGCNN, "(L0[b, x, y, j] - R[b, x, y, j])", "(R[b, x, y, j] - L0[b, x, y, j])"),
        "incorrect", SIGN, id="gate_sign"),
    # ---- lenet5 (seed 002 section 3) ----
    row("lenet5", "a", LENET_A, "correct", id="temporary_g_einstein"),
    row("lenet5", "a", LENET_A_XT, "correct", id="through_Xt"),
    row("lenet5", "a", edit(LENET_A, "a.grad[d] = g[R, C, d]", "a.grad[d] = -g[R, C, d]"),
        "incorrect", SIGN, id="sign_a"),
    row("lenet5", "a", LENET_A.replace("w[d] * g[r, c, d] / 4", "w[d] * g[r, c, d]"), "incorrect",
        FACTOR + " 4 times", id="no_quarter"),
    row("lenet5", "a", edit(LENET_A, "\nfor r, c, d: Y.grad[2*r+1, 2*c+1, d] += w[d] * g[r, c, d] / 4",
                            ""),
        "incorrect", MISSING + ": the part of Y.grad that comes from the forward statement `Xt",
        id="missing_window_corner"),
    row("lenet5", "a", edit(LENET_A, "X1.grad[r, c, d] * X1[r, c, d] * (1 - X1[r, c, d])",
                            "X1.grad[r, c, d] * X1[r, c, d]"),
        "incorrect", "", id="sigma_derivative_wrong"),
    row("lenet5", "b", LENET_B, "correct", id="no_for_einstein"),
    row("lenet5", "b", LENET_B_WIDE, "correct", id="wide_convolution"),
    row("lenet5", "b", edit(LENET_B, "X0.grad[m+dx, n+dy, p] += W", "X0.grad[m+dx, n+dy, p] -= W"),
        "incorrect", SIGN, id="sign_input"),
    row("lenet5", "b", edit(LENET_B, "W[dx, dy, p, d] * Yt.grad[m, n, d]",
                            "W[dx, dy, p, d] * Yt.grad[m, n, d] / 2"),
        "incorrect", FACTOR + " 1/2 times", id="half"),
    row("lenet5", "b", edit(LENET_B, "b.grad[d] = Yt.grad[M, N, d]\n", ""), "incorrect",
        NOT_WRITTEN + " b.grad", id="missing_bias"),
    row("lenet5", "b", edit(LENET_B_WIDE, "e[u-dx, v-dy, d]", "e[u+dx, v+dy, d]"), "incorrect", "",
        id="not_rotated"),
    # ---- loss_heads (seed 001 problem 2(c), the residual network) ----
    row("loss_heads", "c", LOSS_HEADS, "correct", id="temporaries_in_block"),
    row("loss_heads", "c", LOSS_HEADS_LOOPS, "correct", id="loops_renamed_block"),
    row("loss_heads", "c", edit(LOSS_HEADS, "e = 2 * (yhat - y)", "e = 2 * (y - yhat)"), "incorrect",
        SIGN, id="sign_loss"),
    row("loss_heads", "c", edit(LOSS_HEADS, "e = 2 * (yhat - y)", "e = yhat - y"), "incorrect",
        FACTOR + " 1/2 times", id="half_loss"),
    row("loss_heads", "c", edit(LOSS_HEADS, "h.grad[k, j] + W[k, I, j]", "W[k, I, j]"), "incorrect",
        MISSING + ": the part of W.grad that flows back through h", id="missing_skip"),
    row("loss_heads", "c", edit(LOSS_HEADS, "for k in L..1:", "for k in 1..L:"), "incorrect", ORDER,
        id="forward_in_time"),
    # ---- mlp_ce_l2 (seed 002 section 2) ----
    row("mlp_ce_l2", "grad", MLP_CE, "correct", id="general_target"),
    row("mlp_ce_l2", "grad", MLP_CE_CHAIN, "correct", id="chain_through_yhat"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, "yhat[j] * y[J] - y[j]", "y[j] - yhat[j] * y[J]"),
        "incorrect", TERM_SIGN + ": the part of W1.grad that flows back through yhat",
        id="sign_cross_entropy"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, " + lam * W1[k, i]", ""), "incorrect",
        MISSING + ": the part of W1.grad that comes from the forward statement "
                  "`for k, i: Loss += lam*W1[k, i]**2/2`", id="missing_l2"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, " + lam * W1[k, i]", " + lam/2 * W1[k, i]"), "incorrect",
        "the part of W1.grad that comes from the forward statement `for k, i: Loss += "
        "lam*W1[k, i]**2/2` is 1/2 times", id="half_l2"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, " + lam * W2[j, k]", " + 2 * lam * W2[j, k]"), "incorrect",
        TWICE + ": the part of W2.grad that comes from the forward statement", id="l2_twice"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, "b1.grad[k] = a1.grad[k]", "b1.grad[k] = -a1.grad[k]"),
        "incorrect", SIGN, id="sign_b1"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, "a2.grad[j] = yhat[j] * y[J] - y[j]",
                                  "a2.grad[j] = yhat[j] - y[j]"),
        "correct", id="textbook_yhat_minus_y"),
    row("mlp_ce_l2", "grad", edit(MLP_CE, "b2.grad[j] = a2.grad[j]", "b2.grad[k] = a2.grad[k]"),
        "incorrect", "index 'k' runs over 0..M - 1, but axis 1 of 'b2.grad'",
        id="index_slip_b2_k"),
    # ---- vanilla_rnn_bptt (seed 002 section 4) ----
    row("vanilla_rnn_bptt", "a", RNN_A, "correct", id="three_statements"),
    row("vanilla_rnn_bptt", "a", RNN_A_DELTA, "correct", id="delta_recurrence"),
    row("vanilla_rnn_bptt", "a", edit(RNN_A, "(yhat[t, C] - y[t, C])", "(y[t, C] - yhat[t, C])"),
        "incorrect", SIGN, id="sign"),
    row("vanilla_rnn_bptt", "a", edit(RNN_A, "\n    h.grad[t-1, i] += U[M, i] * z.grad[t, M]", ""),
        "incorrect", MISSING + ": the part of z.grad that flows back through h",
        id="missing_recurrence"),
    row("vanilla_rnn_bptt", "a", edit(RNN_A, "(yhat[t, C] - y[t, C])", "2 * (yhat[t, C] - y[t, C])"),
        "incorrect", FACTOR + " 2 times", id="loss_without_its_half"),
    row("vanilla_rnn_bptt", "a", edit(RNN_A, "z.grad[t, m] = (1 - h[t, m]^2)",
                                      "z.grad[t, m] = 2 * (1 - h[t, m]^2)"),
        "incorrect", NONE, id="factor_compounds_in_time"),   # 2^(T-t): not a constant
    row("vanilla_rnn_bptt", "a", edit(RNN_A_DELTA, "z.grad[s+1, M]", "z.grad[s, M]"), "incorrect",
        "in line 2, z.grad is read one step too early (its index s is off by one)",
        id="time_off_by_one"),
    row("vanilla_rnn_bptt", "b", RNN_B, "correct", id="delta_then_sums"),
    row("vanilla_rnn_bptt", "b", RNN_B_SUMS, "correct", id="capital_T_sums"),
    row("vanilla_rnn_bptt", "b", edit(RNN_B, "b.grad[m] += z.grad", "b.grad[m] -= z.grad"),
        "incorrect", SIGN, id="sign_b"),
    row("vanilla_rnn_bptt", "b", edit(RNN_B, "W.grad[m, k] += z.grad", "W.grad[m, k] += 1/T * z.grad"),
        "incorrect", FACTOR + " 1/T times", id="averaged_over_time"),
    row("vanilla_rnn_bptt", "b", edit(RNN_B, "U.grad[m, i] += z.grad[t, m] * h[t-1, i]",
                                      "U.grad[i, m] += z.grad[t, m] * h[t-1, i]"),
        "incorrect", TRANSPOSED, id="transposed_U"),
    row("vanilla_rnn_bptt", "b", edit(RNN_B, " + U[M, m] * z.grad[t+1, M]", ""), "incorrect",
        MISSING + ": the part of U.grad that flows back through h", id="no_recurrence"),
    row("vanilla_rnn_bptt", "b", edit(RNN_B, "z.grad[t, m] * h[t-1, i]", "z.grad[t, m] * h[t, i]"),
        "incorrect", "in line 3, h is read one step too late", id="time_off_by_one"),
    row("vanilla_rnn_bptt", "b",
        edit(RNN_B, "for t in T..1:\n    for m: z.grad[t, m] = (1 - h[t, m]^2) * (V[C, m] * "
                    "(yhat[t, C] - y[t, C]) + U[M, m] * z.grad[t+1, M])",
             "for t in T..1:\n    for m: d[t, m] = (1 - h[t, m]^2) * (V[C, m] * "
             "(yhat[t, C] - y[t, C]) + U[M, m] * d[t+1, M])").replace("z.grad[t, m]", "d[t, m]"),
        "correct", id="recurrent_temporary"),
    row("vanilla_rnn_bptt", "b",
        edit(RNN_B, "for t in T..1:\n    for m: z.grad[t, m] = (1 - h[t, m]^2) * (V[C, m] * "
                    "(yhat[t, C] - y[t, C]) + U[M, m] * z.grad[t+1, M])",
             "for t in T..1:\n    for m: d[t, m] = (1 - h[t, m]^2) * (V[C, m] * "
             "(yhat[t, C] - y[t, C]) + U[M, m] * d[t, M])").replace("z.grad[t, m]", "d[t, m]"),
        "incorrect", "in line 2, d is read one step too early",
        id="recurrent_temporary_reads_itself_unshifted"),
    # ---- mlp_numeric (seed 003) ----
    row("mlp_numeric", "vectorized", NUMERIC_VEC, "correct", id="no_for"),
    row("mlp_numeric", "vectorized", NUMERIC_VEC_LOOPS, "correct", id="loops_via_y_grad"),
    row("mlp_numeric", "vectorized", NUMERIC_VEC.replace("(y - t)", "(t - y)"), "incorrect", SIGN,
        id="sign"),
    row("mlp_numeric", "vectorized", edit(NUMERIC_VEC, "z.grad[i] * x[j]", "z.grad[j] * x[i]"),
        "incorrect", TRANSPOSED, id="transposed"),
    row("mlp_numeric", "vectorized", edit(NUMERIC_VEC, "z.grad[i] * x[j]", "z.grad[i] * x[j] / 2"),
        "incorrect", FACTOR + " 1/2 times", id="half"),
    row("mlp_numeric", "vectorized", lines(*[NUMERIC_VEC.split("\n")[k] for k in (0, 1, 3, 2)]),
        "incorrect", ORDER + ": statement 3 reads z.grad before statement 4", id="order"),
    row("mlp_numeric", "vectorized", edit(NUMERIC_VEC, "W.grad[i, j] = z.grad[i] * x[j]",
                                          "x.grad[j] = z.grad[I] * W[I, j]"),
        "incorrect", WRONG_TENSOR + ": the answer computes x.grad", id="wrong_tensor"),
    row("mlp_numeric", "backward", "W.grad = [[6, 12], [0, 0]]\nx.grad = [-6, 6]\nv.grad = [2, 0]",
        "incorrect", "missing: y.grad, h.grad, z.grad", id="seed_003_values_partial"),
    row("mlp_numeric", "backward", "y.grad = 2\nh.grad = [6, -2]\nz.grad = [6, 0]\n"
                                   "x.grad = [-6, 6]\nv.grad = [2, 0]\nW.grad = [[6, 12], [0, 0]]",
        "correct", id="every_value"),
    row("mlp_numeric", "backward", "W.grad = [[-6, -12], [0, 0]]", "incorrect",
        "W.grad[0, 0] is -6, which is not right (the sign of the whole quantity is flipped)",
        id="sign"),
    row("mlp_numeric", "backward", "W.grad = [[6, 0], [12, 0]]", "incorrect",
        "W.grad[0, 1] is 0, which is not right", id="transposed"),
    row("mlp_numeric", "backward", "W.grad = [6, 12, 0, 0]", "incorrect",
        "W.grad has shape [4], expected [2, 2]", id="flattened"),
    row("mlp_numeric", "backward", "z = [1, -3]", "unusable", "z is not asked for in this part",
        id="forward_value"),
    row("mlp_numeric", "backward", "v.grad = [1, 0]", "incorrect", "v.grad[0] is 1", id="half_v"),
    # ---- mlp_regression (seed 004 problem 1) ----
    row("mlp_regression", "b", REG_B, "correct", id="temporaries"),
    row("mlp_regression", "b", REG_B_LOOPS, "correct", id="loops_relu_of_z1"),
    row("mlp_regression", "b", edit(REG_B, "2 * (yhat[k] - y[k])", "(yhat[k] - y[k])"), "incorrect",
        FACTOR + " 1/2 times", id="half"),
    row("mlp_regression", "b", edit(REG_B, "2 * (yhat[k] - y[k])", "2 * (y[k] - yhat[k])"),
        "incorrect", SIGN, id="sign"),
    row("mlp_regression", "b", edit(REG_B, "b1.grad[j] = d[j]", "b1.grad[j] = -d[j]"), "incorrect",
        SIGN, id="sign_b1"),
    row("mlp_regression", "b", edit(REG_B, "W1.grad[j, i] = d[j] * x[i]",
                                    "W1.grad[j, i] = d[j] * x[i] / 2"),
        "incorrect", FACTOR + " 1/2 times", id="half_W1"),
    row("mlp_regression", "b", edit(REG_B, "e[K] * W2[K, j] * step(z1[j])", "e[K] * W2[K, j]"),
        "incorrect", "", id="missing_relu_derivative"),
    row("mlp_regression", "c", "z1.grad[j] = step(z1[j]) * z2.grad[j]", "correct", id="step"),
    row("mlp_regression", "c", "for j: z1.grad[j] += (z2[j] > 0) * z2.grad[j]", "correct",
        id="indicator_of_output"),
    row("mlp_regression", "c", "z1.grad[j] = -step(z1[j]) * z2.grad[j]", "incorrect", SIGN,
        id="sign"),
    row("mlp_regression", "c", "z1.grad[j] = 2 * step(z1[j]) * z2.grad[j]", "incorrect",
        FACTOR + " 2 times", id="twice"),
    row("mlp_regression", "c", "z2.grad[j] = step(z1[j]) * z1.grad[j]", "incorrect",
        WRONG_TENSOR + ": the answer computes z2.grad, the part asks for z1.grad", id="backwards"),
    row("mlp_regression", "c", "z1.grad[j] = relu(z1[j]) * z2.grad[j]", "incorrect", NONE,
        id="relu_for_step"),
    row("mlp_regression", "d", "z3.grad[k] = yhat.grad[k]", "correct", id="identity"),
    row("mlp_regression", "d", "for k, kk: z3.grad[k] += delta(k, kk) * yhat.grad[kk]", "correct",
        id="kronecker_jacobian"),
    row("mlp_regression", "d", "z3.grad[k] = -yhat.grad[k]", "incorrect", SIGN, id="sign"),
    row("mlp_regression", "d", "z3.grad[k] = 2 * yhat.grad[k]", "incorrect", FACTOR + " 2 times",
        id="twice"),
    row("mlp_regression", "d", "yhat.grad[k] = z3.grad[k]", "incorrect", WRONG_TENSOR,
        id="backwards"),
    row("mlp_regression", "e", "yhat.grad[k] = 2 * (yhat[k] - y[k])", "correct", id="seed_004"),
    row("mlp_regression", "e", "for k: yhat.grad[k] += 2 * z3[k] - 2 * y[k]", "correct",
        id="expanded_z3"),
    row("mlp_regression", "e", "yhat.grad[k] = 2 * (y[k] - yhat[k])", "incorrect", SIGN, id="sign"),
    row("mlp_regression", "e", "yhat.grad[k] = yhat[k] - y[k]", "incorrect", FACTOR + " 1/2 times",
        id="half"),
    row("mlp_regression", "e", "yhat.grad[k] = 2 * (yhat[k] - y[k]) / K", "incorrect",
        FACTOR + " 1/K times", id="mean_not_sum"),
    row("mlp_regression", "e", "y.grad[k] = 2 * (yhat[k] - y[k])", "incorrect", WRONG_TENSOR,
        id="wrong_tensor"),
    # ---- mlp_classification (seed 004 problem 2) ----
    row("mlp_classification", "b", CLS_B, "correct", id="yhat_minus_y_over_K"),
    row("mlp_classification", "b", CLS_B_CHAIN, "correct", id="chain_sigma_written_out"),
    row("mlp_classification", "b", edit(CLS_B, "(yhat[k] - y[k]) / K", "(yhat[k] - y[k])"),
        "incorrect", FACTOR + " K times", id="not_averaged"),
    row("mlp_classification", "b", edit(CLS_B, "(yhat[k] - y[k]) / K", "(y[k] - yhat[k]) / K"),
        "incorrect", SIGN, id="sign"),
    row("mlp_classification", "b", edit(CLS_B, "W1.grad[j, i] = d[j] * x[i]",
                                        "W1.grad[j, i] = -d[j] * x[i]"),
        "incorrect", SIGN, id="sign_W1"),
    row("mlp_classification", "b", edit(CLS_B, "W2.grad[k, j] = e[k] * z2[j]",
                                        "W2.grad[k, j] = e[k] * z2[j] * 4"),
        "incorrect", FACTOR + " 4 times", id="four"),
    row("mlp_classification", "c", "z1.grad[j] = z2[j] * (1 - z2[j]) * z2.grad[j]", "correct",
        id="z2"),
    row("mlp_classification", "c", "for j: z1.grad[j] += z2.grad[j] * exp(-z1[j]) / (1 + exp(-z1[j]))^2",
        "correct", id="seed_004_exp_form"),
    row("mlp_classification", "c", "z1.grad[j] = sigma(z1[j]) * sigma(-z1[j]) * z2.grad[j]",
        "correct", id="sigma_of_minus"),
    row("mlp_classification", "c", "z1.grad[j] = -z2[j] * (1 - z2[j]) * z2.grad[j]", "incorrect",
        SIGN, id="sign"),
    row("mlp_classification", "c", "z1.grad[j] = z2[j] * (1 - z2[j]) * z2.grad[j] / 4", "incorrect",
        FACTOR + " 1/4 times", id="quarter"),
    row("mlp_classification", "c", "z2.grad[j] = z2[j] * (1 - z2[j]) * z1.grad[j]", "incorrect",
        WRONG_TENSOR, id="backwards"),
    row("mlp_classification", "d", "z3.grad[k] = yhat[k] * (1 - yhat[k]) * yhat.grad[k]", "correct",
        id="yhat"),
    row("mlp_classification", "d", "for k: z3.grad[k] += yhat.grad[k] * exp(-z3[k]) / (1 + exp(-z3[k]))^2",
        "correct", id="seed_004_exp_form"),
    row("mlp_classification", "d", "z3.grad[k] = yhat[k] * (yhat[k] - 1) * yhat.grad[k]",
        "incorrect", SIGN, id="sign"),
    row("mlp_classification", "d", "z3.grad[k] = yhat[k] * (1 - yhat[k]) * yhat.grad[k] / K",
        "incorrect", FACTOR + " 1/K times", id="over_K"),
    row("mlp_classification", "d", "z2.grad[k] = yhat[k] * (1 - yhat[k]) * yhat.grad[k]",
        "incorrect", WRONG_TENSOR, id="wrong_tensor"),
    row("mlp_classification", "e",
        "yhat.grad[k] = -1/K * (y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k]))", "correct",
        id="seed_004"),
    row("mlp_classification", "e", "yhat.grad[k] = (yhat[k] - y[k]) / (K * yhat[k] * (1 - yhat[k]))",
        "correct", id="one_fraction"),
    row("mlp_classification", "e", "yhat.grad[k] = 1/K * (y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k]))",
        "incorrect", SIGN, id="sign"),
    row("mlp_classification", "e", "yhat.grad[k] = -(y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k]))",
        "incorrect", FACTOR + " K times", id="not_averaged"),
    row("mlp_classification", "e", "yhat.grad[k] = -1/K * (y[k] / yhat[k] + (1 - y[k]) / (1 - yhat[k]))",
        "incorrect", TERM_SIGN + ": in line 1, the term `(1 - y[k])/(1 - yhat[k])`",
        id="sign_inside"),
    row("mlp_classification", "e", "z3.grad[k] = (yhat[k] - y[k]) / K", "incorrect", WRONG_TENSOR,
        id="wrong_tensor"),
]


@pytest.mark.parametrize("problem, part, text, verdict, fragment", ROWS)
def test_answer_is_judged(problem, part, text, verdict, fragment):
    v = check(problem, part, text)
    assert v.verdict == verdict, (v.message, v.diagnosis)
    if fragment:
        said = "\n".join([v.message] + list(v.diagnosis))
        assert fragment in said, said
    if verdict == "incorrect":
        assert v.diagnosis, v.message          # a wrong answer always gets a diagnosis line
        assert v.counterexample is None or "expected" in v.counterexample or \
            "inputs" in v.counterexample


LOOP_PARTS = ["softmax:a", "softmax:b", "softmax:c", "softmax:full", "batchnorm:a",
              "relu_unit:a", "ugrnn:b", "gru:a", "two_gate_rnn:a", "ugcnn:a", "lenet5:a",
              "lenet5:b", "loss_heads:c", "mlp_ce_l2:grad", "vanilla_rnn_bptt:a",
              "vanilla_rnn_bptt:b", "mlp_numeric:vectorized", "mlp_regression:b",
              "mlp_regression:c", "mlp_regression:d", "mlp_regression:e",
              "mlp_classification:b", "mlp_classification:c", "mlp_classification:d",
              "mlp_classification:e"]


@pytest.mark.parametrize("target", LOOP_PARTS)
def test_the_derived_text_is_judged_correct(target):
    """What `derive solve` prints, typed back as a student's answer, is correct."""
    problem, part = target.split(":")
    probe = check(problem, part, "zz.grad = 1", show_answer=True)
    assert probe.reference, probe.message
    v = check(problem, part, probe.reference)
    assert v.verdict == "correct", (probe.reference, v.message)


def test_forward_loops_part_shows_its_reference_inside_the_time_block():
    v = check("ugrnn", "a", UGRNN_A, show_answer=True)
    assert v.verdict == "correct"
    assert v.reference.startswith("for t:\n    for b, j, i: Rt[b, t, j] +=")
    assert check("ugrnn", "a", v.reference).verdict == "correct"


# --------------------------------------------------------------------------
# the seeds' printed answers, checked as if a student wrote them
# --------------------------------------------------------------------------


def test_seed_000_problem_3_optimized_softmax_is_correct():
    v = check("softmax", "full", "for b, j: e[b] -= p[b, j]*p.grad[b, j]\n"
                                 "for b, j: s.grad[b, j] += p[b, j]*(p.grad[b, j] + e[b])")
    assert v.verdict == "correct", v.message


SEED_001_RESIDUAL_BACKPROP = lines(     # seed 001 problem 3(c), as printed
    "for b, x, y, j: R.grad[b, x, y, j] = L1.grad[b, x, y, j]",
    "for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j]",
    "for b, x, y, j, dx, dy, jp: L0.grad[b, x+dx, y+dy, jp] += R.grad[b, x, y, j] * W[dx, dy, jp, j]")


@pytest.fixture(scope="module")
def resnet_with_backprop_part(tmp_path_factory):
    """problems/resnet_variance.yaml has no backprop part (its (c) is a variance), so the
    seed's printed loops are checked against its program with a part added for the test."""
    folder = tmp_path_factory.mktemp("problems")
    text = (default_problems_dir() / "resnet_variance.yaml").read_text()
    text += ("  loops:\n    ask: backprop\n    from: L1\n    to: L0\n"
             "    text: Give the backward loops of one block.\n")
    (folder / "resnet_variance.yaml").write_text(text)
    return load_spec(folder / "resnet_variance.yaml")


def test_seed_001_problem_3c_residual_backprop_is_correct(resnet_with_backprop_part):
    v = check_answer(resnet_with_backprop_part, "loops", SEED_001_RESIDUAL_BACKPROP)
    assert v.verdict == "correct", (v.message, v.diagnosis)


def test_seed_001_residual_backprop_without_the_skip_is_incorrect(resnet_with_backprop_part):
    text = edit(SEED_001_RESIDUAL_BACKPROP,
                "for b, x, y, j: L0.grad[b, x, y, j] += L1.grad[b, x, y, j]\n", "")
    v = check_answer(resnet_with_backprop_part, "loops", text)
    assert v.verdict == "incorrect"
    assert MISSING in v.diagnosis[0]


def test_seed_003_numbers_for_mlp_numeric_are_correct():
    forward = check("mlp_numeric", "forward", "z = [1, -3]\nh = [1, 0]\ny = 3\nC = 2")
    assert forward.verdict == "correct", forward.diagnosis
    # the seed prints 3 of the 6 values the part asks for: right as far as it goes, and
    # judged per quantity (3 correct, 3 missing), so not CORRECT
    v = check("mlp_numeric", "backward",
              "W.grad = [[6, 12], [0, 0]]\nx.grad = [-6, 6]\nv.grad = [2, 0]")
    assert v.verdict == "incorrect", v.diagnosis
    assert {q.name: q.verdict for q in v.quantities} == {
        "y.grad": "missing", "h.grad": "missing", "z.grad": "missing",
        "x.grad": "correct", "v.grad": "correct", "W.grad": "correct"}
    assert v.score == 0.5


# Seed 002 section 2, translated to problems/mlp_ce_l2.yaml's names: dL/dy_j = y_nj / y_j
# (the minus sign of the cross-entropy derivative is missing), then the chain rule through
# the softmax and the sigmoid; its gradients carry no lambda term (it adds lambda*w in the
# update instead), and the update climbs: w <- w + eta dL/dw + lambda w.
SEED_002_GRADIENTS = lines(
    "for j: yhat.grad[j] = y[j] / yhat[j]",
    "e = -yhat[J] * yhat.grad[J]",
    "for j: a2.grad[j] = yhat[j] * (yhat.grad[j] + e)",
    "b2.grad[j] = a2.grad[j]",
    "W2.grad[j, k] = a2.grad[j] * z[k]",
    "z.grad[k] = a2.grad[J] * W2[J, k]",
    "a1.grad[k] = z.grad[k] * z[k] * (1 - z[k])",
    "b1.grad[k] = a1.grad[k]",
    "W1.grad[k, i] = a1.grad[k] * x[i]")
SEED_002_UPDATE = lines(
    "W1[k, i] = W1[k, i] + eta * W1.grad[k, i] + lam * W1[k, i]",
    "W2[j, k] = W2[j, k] + eta * W2.grad[j, k] + lam * W2[j, k]",
    "b1[k] = b1[k] + eta * b1.grad[k]",
    "b2[j] = b2[j] + eta * b2.grad[j]")


def test_seed_002_gradients_are_incorrect_with_a_sign_diagnosis():
    v = check("mlp_ce_l2", "grad", SEED_002_GRADIENTS)
    assert v.verdict == "incorrect"
    assert any("sign flipped" in d for d in v.diagnosis), v.diagnosis


def test_seed_002_gradients_with_the_l2_term_have_the_cross_entropy_sign_flipped():
    text = edit(edit(SEED_002_GRADIENTS, "a2.grad[j] * z[k]", "a2.grad[j] * z[k] + lam * W2[j, k]"),
                "a1.grad[k] * x[i]", "a1.grad[k] * x[i] + lam * W1[k, i]")
    v = check("mlp_ce_l2", "grad", text)
    assert v.verdict == "incorrect"
    assert v.diagnosis == ["sign flipped in one term: the part of W1.grad that flows back "
                           "through yhat has the wrong sign"]


def test_seed_002_update_climbs_the_loss():
    v = check("mlp_ce_l2", "sgd", SEED_002_UPDATE)
    assert v.verdict == "incorrect"
    assert "sign flipped: b1 moves along its gradient" in "\n".join(v.diagnosis)
    plain = check("mlp_ce_l2", "sgd", SEED_002_UPDATE.replace(" + lam * W1[k, i]", "")
                  .replace(" + lam * W2[j, k]", ""))
    assert plain.verdict == "incorrect"
    assert len([d for d in plain.diagnosis if d.startswith("sign flipped")]) == 4


@pytest.mark.parametrize("text", [
    lines("for k, i: W1[k, i] -= eta*W1.grad[k, i]", "for k: b1[k] -= eta*b1.grad[k]",
          "for j, k: W2[j, k] -= eta*W2.grad[j, k]", "for j: b2[j] -= eta*b2.grad[j]"),
    lines("W2[j, k] = W2[j, k] - eta * W2.grad[j, k]", "b2[j] = b2[j] - eta * b2.grad[j]",
          "W1[k, i] = W1[k, i] - eta * W1.grad[k, i]", "b1[k] = b1[k] - eta * b1.grad[k]"),
], ids=["minus_equals", "assign_reordered"])
def test_a_descent_step_is_correct(text):
    v = check("mlp_ce_l2", "sgd", text)
    assert v.verdict == "correct", (v.message, v.diagnosis)


SEED_004_REGRESSION_TABLE = lines(     # seed 004 problem 1(c), with dyhat/dz3 = I
    "b2.grad[k] = 2 * (yhat[k] - y[k])",
    "W2.grad[k, j] = relu(W1[j, I] * x[I] + b1[j]) * 2 * (yhat[k] - y[k])",
    "b1.grad[j] = 2 * (yhat[K] - y[K]) * W2[K, j] * (z1[j] >= 0)",
    "W1.grad[j, i] = x[i] * 2 * (yhat[K] - y[K]) * W2[K, j] * (z1[j] >= 0)")


def test_seed_004_regression_gradient_table_is_correct():
    v = check("mlp_regression", "b", SEED_004_REGRESSION_TABLE)
    assert v.verdict == "correct", (v.message, v.diagnosis)


@pytest.mark.parametrize("target, text", [
    ("mlp_regression:c", "for j: z1.grad[j] += (z1[j] >= 0) * z2.grad[j]"),
    ("mlp_regression:d", "z3.grad[k] = yhat.grad[k]"),
    ("mlp_regression:e", "yhat.grad[k] = 2 * (yhat[k] - y[k])"),
    ("mlp_classification:c", "z1.grad[j] = exp(-z1[j]) / (1 + exp(-z1[j]))^2 * z2.grad[j]"),
    ("mlp_classification:d", "z3.grad[k] = exp(-z3[k]) / (1 + exp(-z3[k]))^2 * yhat.grad[k]"),
    ("mlp_classification:e", "yhat.grad[k] = -1/K * (y[k] / yhat[k] - (1 - y[k]) / (1 - yhat[k]))"),
], ids=lambda x: x if ":" in str(x) else "")
def test_seed_004_jacobians_are_correct(target, text):
    problem, part = target.split(":")
    v = check(problem, part, text)
    assert v.verdict == "correct", (v.message, v.diagnosis)


# --------------------------------------------------------------------------
# the command line, as an autograder uses it
# --------------------------------------------------------------------------

SOFTMAX_A_RIGHT = "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]"
SOFTMAX_A_WRONG = "for b, j: s.grad[b, j] -= p.grad[b, j] * p[b, j]"


@pytest.mark.parametrize("answer, code", [
    (SOFTMAX_A_RIGHT, 0), (SOFTMAX_A_WRONG, 1), ("for b, j: s.grad[b, j] += * p[b, j]", 2),
], ids=["correct", "incorrect", "unusable"])
def test_exit_codes(answer, code):
    result = invoke("check", "softmax:a", answer)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_json_verdict_parses_with_its_keys():
    result = invoke("check", "softmax:a", SOFTMAX_A_WRONG, "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert {"problem", "part", "verdict", "diagnosis", "counterexample"} <= set(data)
    assert (data["problem"], data["part"], data["verdict"]) == ("softmax", "a", "incorrect")
    assert data["diagnosis"] == [SIGN]
    assert data["counterexample"]["entry"].startswith("s.grad[")
    assert "reference" not in data


def test_json_verdict_of_a_correct_answer():
    result = invoke("check", "batchnorm:a", BATCHNORM_MERGED, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["verdict"] == "correct" and data["diagnosis"] == []
    assert data["counterexample"] is None


BATCHNORM_REFERENCE_PIECE = "mu.grad[j] -= xp.grad[b, j]/sqrt(s[j])"   # from `derive solve`


@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["text", "json"])
def test_the_reference_is_never_shown_for_a_wrong_answer(extra):
    wrong = edit(BATCHNORM_SPLIT, "s.grad[j] -= 1/2", "s.grad[j] += 1/2")
    result = invoke("check", "batchnorm:a", wrong, *extra)
    assert result.exit_code == 1
    assert BATCHNORM_REFERENCE_PIECE not in result.output
    assert "reference" not in result.output
    assert "xp.grad[b, j]*xp[b, j]/(2*s[j])" not in result.output


def test_show_answer_prints_the_reference():
    wrong = edit(BATCHNORM_SPLIT, "s.grad[j] -= 1/2", "s.grad[j] += 1/2")
    result = invoke("check", "batchnorm:a", wrong, "--show-answer")
    assert result.exit_code == 1
    assert "reference answer:" in result.output
    assert BATCHNORM_REFERENCE_PIECE in result.output
    data = json.loads(invoke("check", "batchnorm:a", wrong, "--show-answer", "--json").output)
    assert BATCHNORM_REFERENCE_PIECE in data["reference"]


def test_answer_from_a_file_and_from_stdin(tmp_path):
    path = tmp_path / "answer.txt"
    path.write_text(SOFTMAX_FULL_E + "\n")
    assert invoke("check", "softmax:full", "--file", str(path)).exit_code == 0
    assert invoke("check", "softmax:full", "-", input=SOFTMAX_FULL_E).exit_code == 0


def test_batch_writes_one_result_row_per_student(tmp_path):
    students = tmp_path / "answers.csv"
    rows = [("ada", "softmax", "a", SOFTMAX_A_RIGHT),
            ("bob", "softmax", "a", SOFTMAX_A_WRONG),
            ("cy", "softmax", "full", SOFTMAX_FULL_E),
            ("dee", "batchnorm", "a", edit(BATCHNORM_MERGED, "/ (B-1)", "/ B")),
            ("eve", "softmax", "a", "for b, j: s.grad[b, j] += ("),
            ("fay", "mlp_numeric", "backward", "y.grad = 2\nh.grad = [6, -2]\nz.grad = [6, 0]\n"
                                               "x.grad = [-6, 6]\nv.grad = [2, 0]\n"
                                               "W.grad = [[6, 12], [0, 0]]"),
            ("gus", "nosuchproblem", "a", "x = 1"),
            ("hal", "softmax", "zz", SOFTMAX_A_RIGHT)]
    with open(students, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "problem", "part", "answer"])
        w.writerows(rows)
    out = tmp_path / "results.csv"
    result = CliRunner().invoke(cli, ["check", "--batch", str(students), "-o", str(out)])
    # two rows name no problem or part of the course: judged "unusable", and the batch
    # says that some rows could not be judged (exit 2)
    assert result.exit_code == 2, (result.output, result.stderr)
    assert "2 row(s) could not be judged" in result.stderr
    assert "8 answers: 3 correct, 2 incorrect, 3 unusable" in result.output
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    assert [r["student"] for r in got] == [r[0] for r in rows]
    assert [r["verdict"] for r in got] == ["correct", "incorrect", "correct", "incorrect",
                                           "unusable", "correct", "unusable", "unusable"]
    assert "sign flipped" in got[1]["diagnosis"]
    assert "(B-1)/B" in got[3]["diagnosis"]
    assert "unknown problem 'nosuchproblem'" in got[6]["message"]
    assert "has no part 'zz'" in got[7]["message"]


def test_batch_default_output_is_results_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "in.csv", "w", newline="") as f:
        csv.writer(f).writerows([["student", "problem", "part", "answer"],
                                 ["ada", "softmax", "a", SOFTMAX_A_RIGHT]])
    result = invoke("check", "--batch", "in.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "results.csv").exists()


def test_batch_with_wrong_columns_is_unusable(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,answer\nada,x\n")
    result = invoke("check", "--batch", str(bad), "-o", str(tmp_path / "r.csv"))
    assert result.exit_code == 2
    assert "expected the columns student, problem, part, answer" in result.output
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("target, message", [
    ("nosuchproblem:a", "unknown problem 'nosuchproblem'"),
    ("softmax:zz", "problem 'softmax' has no part 'zz'; `derive list` shows the parts"),
    ("softmax", "name the part: PROBLEM:PART"),
], ids=["unknown_problem", "unknown_part", "no_part"])
def test_unknown_problem_or_part_exits_2_with_a_message(target, message):
    result = invoke("check", target, SOFTMAX_A_RIGHT)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_parse_error_exits_2_with_line_column_and_caret():
    answer = "for b, j: s.grad[b, j] += p.grad[b, j] * p[b, j]\nfor b, j: s.grad[b, j] += * 2"
    result = invoke("check", "softmax:a", answer)
    assert result.exit_code == 2
    assert "answer:2:27: expected an expression, found '*'" in result.output
    out = result.output.splitlines()
    k = next(i for i, l in enumerate(out) if l.strip() == "for b, j: s.grad[b, j] += * 2")
    assert out[k + 1].index("^") == out[k].index("*")


def test_text_and_instructor_parts_cannot_be_checked():
    result = invoke("check", "loss_heads:a", "because gradients vanish")
    assert result.exit_code == 2
    assert "read by the instructor" in result.output


# --------------------------------------------------------------------------
# fixed bugs, one test each
# --------------------------------------------------------------------------


def test_a_size_as_a_target_index_is_not_a_summed_capital():
    """h.grad[L, j] (L the depth, not an index) was rejected: 'a target cannot be summed'."""
    v = check("loss_heads", "c", LOSS_HEADS)
    assert v.verdict == "correct", v.message


def test_a_temporary_inside_a_block_may_be_indexed_by_the_block_index():
    """g[k, i] inside `for k in L..1:` was rejected: 'must be indexed by loop indices only'."""
    v = check("loss_heads", "c", LOSS_HEADS)
    assert "indexed by loop indices only" not in v.message
    assert v.verdict == "correct"


def test_forward_loops_of_a_recurrence_are_checked_inside_their_time_block():
    """ugrnn:a was always unusable: 'no value for the symbol t' (the block was dropped)."""
    v = check("ugrnn", "a", UGRNN_A)
    assert v.verdict == "correct", v.message


def test_counterexample_skips_sizes_where_the_reference_is_not_finite():
    """batchnorm at B=1 divides by B-1: the counterexample showed expected nan, got nan."""
    wrong = edit(BATCHNORM_SPLIT, "s.grad[j] -= 1/2", "s.grad[j] += 1/2")
    v = check("batchnorm", "a", wrong)
    ce = v.counterexample
    assert ce is not None and ce["sizes"]["B"] >= 2
    assert ce["expected"] == ce["expected"] and ce["got"] == ce["got"]     # not NaN
    json.dumps(v.as_dict(), allow_nan=False)


def test_intermediate_gradients_are_not_the_wrong_tensor():
    """Writing Yt.grad on the way to W.grad was called 'gradient with respect to the wrong
    tensor' when b.grad was missing."""
    v = check("lenet5", "b", edit(LENET_B, "b.grad[d] = Yt.grad[M, N, d]\n", ""))
    assert v.diagnosis == ["no statement writes b.grad"]


def test_a_factor_is_named_only_if_it_holds_at_other_sizes():
    """At B=2 a missing 1/B was called '2 times'; at N=3, K=2 a 1/K was called 1/(N-1)."""
    assert FACTOR + " B times" in check("ugrnn", "b", UGRNN_B.replace("1/B * ", "")).diagnosis[0]
    v = check("mlp_regression", "e", "yhat.grad[k] = 2 * (yhat[k] - y[k]) / K")
    assert v.diagnosis == [FACTOR + " 1/K times the correct gradient"]


def test_an_input_dependent_factor_is_not_called_constant():
    """relu(z) for step(z) multiplies by z: it was called 'a constant factor 0.3155'."""
    v = check("relu_unit", "a", "w.grad[i] = y.grad * relu(z) * x[i]")
    assert not v.diagnosis[0].startswith("a constant factor")


def test_every_parameter_of_an_update_is_judged():
    """Only the first wrong parameter was judged, so W1's extra term hid b1's sign."""
    v = check("mlp_ce_l2", "sgd", SEED_002_UPDATE)
    assert v.message == "the update of W1, b1, W2, b2 is not a gradient-descent step"


def test_the_reference_is_derived_once_per_process(monkeypatch):
    """Every check derived the reference again: a --batch of a class paid for it per row."""
    import derive.engines.backward as backward
    calls = []
    real = backward.derive_backward
    monkeypatch.setattr(backward, "derive_backward",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        assert check("softmax", "c", "for b, j: s.grad[b, j] += exp(s[b, j]) * Z.grad[b]"
                     ).verdict == "correct"
    assert len(calls) <= 1


def test_a_time_limit_during_the_diagnosis_keeps_the_verdict(monkeypatch):
    import derive.check.loops as C

    def slow(*args, **kwargs):
        raise C.TimeLimitError("the check took longer than 10 s and was stopped")
    monkeypatch.setattr(C, "_counterexample", slow)
    v = check("softmax", "a", SOFTMAX_A_WRONG)
    assert v.verdict == "incorrect" and v.exit_code == 1
    assert "stopped at the time limit" in v.diagnosis[-1]
