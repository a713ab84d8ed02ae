"""Construction strategies for :class:`~.graph.AdderGraph` and their verification.

``build(W, in_bits, in_signed, strategy)`` is the single entry point:

* ``"csd"``: per-weight CSD baseline.  Row ``r`` sums every term ``±(x_j << k)`` of the
  CSD digits of all its weights with a balanced tree of 2-input adders, so it costs
  ``(non-zero CSD digits of the row) - 1`` adders, plus one negation when all of a row's
  terms are negative.
* ``"cmvm"``: subexpressions shared across the whole layer, found by da4ml's CMVM solver
  (see :mod:`.cmvm`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .csd import csd_terms
from .graph import AdderGraph, Ref, combine

Strategy = Literal["csd", "cmvm"]
STRATEGIES: tuple[Strategy, ...] = ("csd", "cmvm")


def build(W: np.ndarray, in_bits: int, in_signed: bool, strategy: Strategy = "cmvm", *,
          depth_slack: int | None = None, check: bool = True) -> AdderGraph:
    """Adder graph computing ``W @ x`` for ``x`` of ``in_bits``-bit integers.

    *depth_slack* (``cmvm`` only; the CSD tree always has the minimum depth) allows that
    many adder levels beyond the minimum; ``None``: any depth, fewest adders.
    With *check* (the default) the result is proven equal to ``W`` (:func:`verify`)
    before it is returned.
    """
    W = as_weight_matrix(W)
    if strategy == "csd":
        graph = csd_tree(W, in_bits, in_signed)
    elif strategy == "cmvm":
        from .cmvm import cmvm_graph

        graph = cmvm_graph(W, in_bits, in_signed, depth_slack)
    else:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {STRATEGIES}")
    if check:
        verify(graph, W)
    return graph


def scalar(c: int, in_bits: int, in_signed: bool, strategy: Strategy = "cmvm", *,
           check: bool = True) -> AdderGraph:
    """Adder graph for the constant multiply ``c * x`` (a 1x1 matrix)."""
    return build(np.array([[int(c)]], dtype=np.int64), in_bits, in_signed, strategy, check=check)


def as_weight_matrix(W: np.ndarray) -> np.ndarray:
    """*W* as a 2-D int64 array; rejects non-integer values."""
    arr = np.asarray(W)
    if arr.ndim != 2:
        raise ValueError(f"weight matrix must be 2-D, got shape {arr.shape}")
    as_int = arr.astype(np.int64)
    if not np.array_equal(as_int, arr):
        raise ValueError("weight matrix must hold integers")
    return as_int


def sum_tree(graph: AdderGraph, refs: list[Ref]) -> Ref | None:
    """Sum *refs* with a balanced tree of 2-input adders (``None`` if empty)."""
    while len(refs) > 1:
        paired = [combine(graph, refs[i], refs[i + 1]) for i in range(0, len(refs) - 1, 2)]
        refs = paired + refs[len(refs) - len(refs) % 2:]
    return refs[0] if refs else None


def csd_tree(W: np.ndarray, in_bits: int, in_signed: bool) -> AdderGraph:
    """The per-weight CSD baseline: one balanced adder tree per output row.

    Terms are ordered by shift so that neighbours in the tree have similar
    magnitudes, which keeps the adders narrow (the common shift stays outside).
    """
    n_out, n_in = W.shape
    graph = AdderGraph(n_in, in_bits, in_signed, n_out)
    for row in range(n_out):
        terms = [(t.shift, j, t.sign) for j in range(n_in) for t in csd_terms(int(W[row, j]))]
        refs = [Ref(j, shift, sign < 0) for shift, j, sign in sorted(terms)]
        graph.set_output(row, sum_tree(graph, refs))
    return graph


def extreme_inputs(W: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Input vectors that drive every row to its minimum and its maximum, plus all-lo/hi."""
    n_in = W.shape[1]
    rows = [np.where(W[r] > 0, hi, lo) for r in range(W.shape[0])]
    rows += [np.where(W[r] > 0, lo, hi) for r in range(W.shape[0])]
    rows += [np.full(n_in, lo), np.full(n_in, hi)]
    return np.array(rows, dtype=np.int64)


def verify(graph: AdderGraph, W: np.ndarray, n_random: int = 64, seed: int = 0) -> None:
    """Raise ``AssertionError`` unless *graph* computes exactly ``W @ x``.

    Proof: the graph's exact linear map equals ``W``.  Cross-check: evaluation on
    extreme and random inputs equals ``W @ x`` and stays inside the exact output ranges
    that size the hardware.
    """
    implemented = graph.matrix()
    if implemented.shape != W.shape or not np.array_equal(implemented, W):
        bad = np.argwhere(implemented != W) if implemented.shape == W.shape else "shape"
        raise AssertionError(f"adder graph does not implement W (differences at {bad})")
    rng = np.random.default_rng(seed)
    x = np.concatenate([
        extreme_inputs(W, graph.in_lo, graph.in_hi),
        rng.integers(graph.in_lo, graph.in_hi, size=(n_random, W.shape[1]), endpoint=True),
    ])
    y = graph.evaluate(x)
    if not np.array_equal(y, x @ W.T):
        raise AssertionError("adder graph evaluation differs from W @ x")
    for row in range(graph.n_out):
        lo, hi = graph.output_range(row)
        if y[:, row].min() != lo or y[:, row].max() != hi:
            raise AssertionError(f"row {row}: output range [{lo}, {hi}] is not exact")
