"""Layer-wide shared subexpressions via da4ml's CMVM solver, converted to an AdderGraph.

da4ml (LGPL-3.0, used as an unmodified library) optimises ``x @ K`` for a constant
kernel ``K`` into a cascade of stages, each a list of ops over a value buffer:

* opcode ``-1``: buffer <- stage input ``id0`` times ``2**inp_shifts[id0]``;
* opcode ``0`` / ``1``: buffer <- ``buf[id0] +/- buf[id1] * 2**data``;

and stage output ``i`` is ``±buf[out_idxs[i]] * 2**out_shifts[i]`` (or zero for index -1).
We replay those ops with :class:`~.graph.Ref` s (a node, a power-of-two exponent and a
sign), so shifts, negative exponents and signs are folded exactly as in the CSD tree, and
every ``+``/``-`` becomes one :class:`~.graph.AdderGraph` adder.
"""

from __future__ import annotations

import numpy as np

from .graph import AdderGraph, Ref, combine, input_range

#: Solver settings.  ``search_all_decompose_dc=False`` solves once with the default
#: decomposition instead of trying every depth constraint: on the reference layers it
#: found the same adder count at a fraction of the run time.
SOLVER_OPTIONS: dict[str, object] = {"method0": "wmc", "search_all_decompose_dc": False}

#: Largest weight magnitude that float32 (da4ml's kernel type) holds exactly.
_FLOAT32_EXACT = 1 << 24


def cmvm_graph(W: np.ndarray, in_bits: int, in_signed: bool,
               depth_slack: int | None = None) -> AdderGraph:
    """Adder graph for ``W @ x`` with subexpressions shared across all rows.

    *depth_slack* bounds the adder depth to the CSD tree's (the minimum) plus that many
    levels; ``None`` leaves depth free for the fewest adders.
    """
    from da4ml.cmvm import solve

    n_out, n_in = W.shape
    if np.abs(W).max(initial=0) >= _FLOAT32_EXACT:
        raise ValueError("weights beyond 2**24 are not exact in da4ml's float32 kernel")
    lo, hi = input_range(in_bits, in_signed)
    solution = solve(
        np.ascontiguousarray(W.T, dtype=np.float32),
        qintervals=[(float(lo), float(hi), 1.0)] * n_in,
        latencies=[0.0] * n_in,
        **{**SOLVER_OPTIONS, "hard_dc": -1 if depth_slack is None else depth_slack},
    )
    graph = AdderGraph(n_in, in_bits, in_signed, n_out)
    refs: list[Ref | None] = [Ref(j) for j in range(n_in)]
    for stage in solution.solutions:
        refs = _replay_stage(graph, stage, refs)
    for row, ref in enumerate(refs):
        if ref is not None and ref.shift < 0:
            raise NotImplementedError(f"row {row}: da4ml left a fractional scale 2**{ref.shift}")
        graph.set_output(row, ref)
    return graph.pruned()


def _replay_stage(graph: AdderGraph, stage, inputs: list[Ref | None]) -> list[Ref | None]:
    """Add one da4ml ``CombLogic`` stage's ops to *graph*; return its outputs as refs."""
    buf: list[Ref | None] = []
    for op in stage.ops:
        if op.opcode == -1:
            buf.append(_scaled(inputs[op.id0], stage.inp_shifts[op.id0], False))
        elif op.opcode in (0, 1):
            buf.append(_add(graph, buf[op.id0], _scaled(buf[op.id1], op.data, op.opcode == 1)))
        else:
            raise NotImplementedError(f"da4ml opcode {op.opcode} is not a linear shift-add")
    return [None if idx < 0 else _scaled(buf[idx], shift, neg)
            for idx, shift, neg in zip(stage.out_idxs, stage.out_shifts, stage.out_negs)]


def _scaled(ref: Ref | None, shift: int, negate: bool) -> Ref | None:
    """``±ref * 2**shift``."""
    if ref is None:
        return None
    return Ref(ref.node, ref.shift + int(shift), ref.negative != bool(negate))


def _add(graph: AdderGraph, p: Ref | None, q: Ref | None) -> Ref | None:
    """``p + q`` where ``None`` is zero (a zero operand costs no adder)."""
    if p is None or q is None:
        return q if p is None else p
    return combine(graph, p, q)
