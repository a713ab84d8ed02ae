"""Adder graphs: multiplier-less constant matrix-vector products ``y = W @ x``.

An :class:`AdderGraph` has ``n_in`` input nodes (integers of ``in_bits`` bits, signed or
unsigned) followed by adder nodes, each the sum or difference of two earlier nodes
shifted left by constants.  Output row ``r`` is either the constant 0 or ``node << shift``.

Conventions
-----------
* Every node's value is an exact integer linear combination of the inputs; the graph
  tracks that combination (:meth:`AdderGraph.coefficients`), which gives exact value
  ranges and an exact, input-independent proof that the graph computes ``W``
  (:meth:`AdderGraph.matrix`).
* Bit widths follow the value range: a node whose range has ``lo >= 0`` is *unsigned*
  with ``hi.bit_length()`` bits; any other node is *two's complement* with the fewest bits
  that hold ``[lo, hi]``.  Operands are zero- or sign-extended accordingly.
* An adder's first operand is never negated.  ``-(u<<s) - (v<<t)`` is never built: the
  builders carry the sign upwards instead (:func:`combine`), and a negative output becomes
  one explicit negation node ``0 - (v<<t)`` (an adder whose first operand is zero), so every
  subtraction the hardware performs is an adder of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import NamedTuple, Sequence

import numpy as np

#: Largest magnitude any value, coefficient product or partial sum may reach, so that
#: int64 arithmetic stays exact.
_VALUE_LIMIT = 1 << 62


class Operand(NamedTuple):
    """``±(node << shift)`` as an adder input."""

    node: int
    shift: int = 0
    negate: bool = False


class Adder(NamedTuple):
    """``a + b`` where ``a`` is ``None`` (constant zero) or a non-negated operand."""

    a: Operand | None
    b: Operand


class Output(NamedTuple):
    """Output row value ``node << shift``."""

    node: int
    shift: int


class Ref(NamedTuple):
    """A signed, shifted reference ``(-1 if negative else 1) * (node << shift)``.

    Builders manipulate partial sums as refs; :func:`combine` adds two of them with one
    adder and :meth:`AdderGraph.set_output` turns one into an output.
    """

    node: int
    shift: int = 0
    negative: bool = False


def range_width(lo: int, hi: int) -> tuple[int, bool]:
    """``(bits, signed)`` of the narrowest integer type holding ``[lo, hi]``.

    Unsigned when ``lo >= 0``, else two's complement; at least one bit.
    """
    if lo >= 0:
        return max(1, int(hi).bit_length()), False
    return 1 + max(int(hi).bit_length(), int(-lo - 1).bit_length()), True


def input_range(bits: int, signed: bool) -> tuple[int, int]:
    """Value range of a ``bits``-bit integer."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def combine(graph: "AdderGraph", p: Ref, q: Ref) -> Ref:
    """``p + q`` with one new adder; the common shift and a common sign stay outside."""
    if p.negative and not q.negative:
        p, q = q, p
    base = min(p.shift, q.shift)
    a = Operand(p.node, p.shift - base)
    b = Operand(q.node, q.shift - base, negate=p.negative != q.negative)
    return Ref(graph.add(a, b), base, p.negative)


@dataclass(frozen=True)
class Schedule:
    """Assignment of adders to pipeline stages (see :meth:`AdderGraph.pipeline`).

    Stage numbering: inputs are available combinationally in stage 1 (the caller
    registers them), adders sit in stages ``1..latency`` and outputs are read from
    registers after stage ``latency``, so ``y_o`` follows ``x_i`` by ``latency`` cycles.
    ``delays[n]`` is the length of node ``n``'s register chain.
    """

    max_levels_per_stage: int
    latency: int
    stage: tuple[int, ...]
    delays: tuple[int, ...]
    register_bits: int
    delay_register_bits: int

    def read_delay(self, node: int, consumer_stage: int) -> int:
        """Registers between *node* and a reader in *consumer_stage*."""
        return consumer_stage - self.stage[node]


class AdderGraph:
    """A DAG of 2-input shift-add/subtract nodes computing a constant matrix product."""

    def __init__(self, n_in: int, in_bits: int, in_signed: bool, n_out: int) -> None:
        if n_in < 1 or n_out < 0 or in_bits < 1:
            raise ValueError("need n_in >= 1, n_out >= 0, in_bits >= 1")
        self.n_in = n_in
        self.in_bits = in_bits
        self.in_signed = in_signed
        self.in_lo, self.in_hi = input_range(in_bits, in_signed)
        self.nodes: list[Adder | None] = [None] * n_in
        self.outputs: list[Output | None] = [None] * n_out
        self._coef: list[np.ndarray] = list(np.eye(n_in, dtype=np.int64))
        self._range: list[tuple[int, int]] = [(self.in_lo, self.in_hi)] * n_in
        self._level: list[int] = [0] * n_in
        self._coef_limit = _VALUE_LIMIT // (n_in << in_bits)

    # ------------------------------------------------------------------ construction
    @property
    def n_out(self) -> int:
        return len(self.outputs)

    def is_input(self, node: int) -> bool:
        return node < self.n_in

    def add(self, a: Operand | None, b: Operand) -> int:
        """Append the adder ``a + b`` and return its node index."""
        if a is not None and a.negate:
            raise ValueError("the first operand of an adder is never negated")
        coef = np.zeros(self.n_in, dtype=np.int64)
        level = 0
        for op in (a, b):
            if op is None:
                continue
            if not 0 <= op.node < len(self.nodes) or op.shift < 0:
                raise ValueError(f"bad operand {op}")
            term = self._coef[op.node] << op.shift
            coef = coef - term if op.negate else coef + term
            level = max(level, self._level[op.node])
        if int(np.abs(coef).max()) >= self._coef_limit:
            raise OverflowError("coefficient too large for exact int64 evaluation")
        self.nodes.append(Adder(a, b))
        self._coef.append(coef)
        self._range.append(self._interval(coef))
        self._level.append(level + 1)
        return len(self.nodes) - 1

    def set_output(self, row: int, ref: Ref | None) -> None:
        """Make output *row* equal to *ref* (``None``: constant zero).

        A negative ref costs one negation adder ``0 - node``.
        """
        if ref is None:
            self.outputs[row] = None
            return
        node = ref.node
        if ref.negative:
            node = self.add(None, Operand(ref.node, 0, negate=True))
        self.outputs[row] = Output(node, ref.shift)

    def _interval(self, coef: np.ndarray) -> tuple[int, int]:
        lo_terms = coef * self.in_lo
        hi_terms = coef * self.in_hi
        return int(np.minimum(lo_terms, hi_terms).sum()), int(np.maximum(lo_terms, hi_terms).sum())

    def pruned(self) -> "AdderGraph":
        """A copy without adders that no output depends on, nodes renumbered in order."""
        live = [False] * len(self.nodes)
        for out in self.outputs:
            if out is not None:
                live[out.node] = True
        for n in range(len(self.nodes) - 1, self.n_in - 1, -1):
            adder = self.nodes[n]
            if live[n] and adder is not None:
                for op in (adder.a, adder.b):
                    if op is not None:
                        live[op.node] = True
        new = AdderGraph(self.n_in, self.in_bits, self.in_signed, self.n_out)
        index = list(range(self.n_in)) + [-1] * (len(self.nodes) - self.n_in)
        for n in range(self.n_in, len(self.nodes)):
            adder = self.nodes[n]
            if live[n] and adder is not None:
                a = None if adder.a is None else adder.a._replace(node=index[adder.a.node])
                index[n] = new.add(a, adder.b._replace(node=index[adder.b.node]))
        new.outputs = [None if o is None else Output(index[o.node], o.shift) for o in self.outputs]
        return new

    # ------------------------------------------------------------------ analysis
    def coefficients(self, node: int) -> np.ndarray:
        """Exact integer weights of the inputs in *node*'s value (a copy)."""
        return self._coef[node].copy()

    def value_range(self, node: int) -> tuple[int, int]:
        """Exact ``(lo, hi)`` of *node* over all inputs in range."""
        return self._range[node]

    def width(self, node: int) -> int:
        """Bit width of *node* (see the module docstring for the convention)."""
        return range_width(*self._range[node])[0]

    def is_signed(self, node: int) -> bool:
        """Whether *node* is two's complement (its range reaches below zero)."""
        return self._range[node][0] < 0

    def level(self, node: int) -> int:
        """Adders on the longest path from an input to *node* (0 for inputs)."""
        return self._level[node]

    def output_range(self, row: int) -> tuple[int, int]:
        """Exact value range of output *row*."""
        out = self.outputs[row]
        if out is None:
            return 0, 0
        lo, hi = self._range[out.node]
        return lo << out.shift, hi << out.shift

    def matrix(self) -> np.ndarray:
        """The ``(n_out, n_in)`` integer matrix the graph implements, exactly."""
        mat = np.zeros((self.n_out, self.n_in), dtype=np.int64)
        for row, out in enumerate(self.outputs):
            if out is not None:
                mat[row] = self._coef[out.node] << out.shift
        return mat

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Run the graph on inputs of shape ``(n_in,)`` or ``(batch, n_in)``, exactly."""
        x = np.asarray(x)
        if x.shape[-1] != self.n_in or x.ndim not in (1, 2):
            raise ValueError(f"expected shape (n_in,) or (batch, n_in) with n_in={self.n_in}")
        x = x.astype(np.int64)
        if x.size and (x.min() < self.in_lo or x.max() > self.in_hi):
            raise ValueError(f"inputs outside [{self.in_lo}, {self.in_hi}]")
        values: list[np.ndarray] = list(np.moveaxis(x, -1, 0))
        zero = np.zeros_like(values[0])
        for adder in self.nodes[self.n_in:]:
            assert adder is not None
            acc = zero if adder.a is None else values[adder.a.node] << adder.a.shift
            b = values[adder.b.node] << adder.b.shift
            values.append(acc - b if adder.b.negate else acc + b)
        out = [zero if o is None else values[o.node] << o.shift for o in self.outputs]
        return np.stack(out, axis=-1) if out else np.zeros(x.shape[:-1] + (0,), np.int64)

    # ------------------------------------------------------------------ metrics
    def adder_nodes(self) -> range:
        return range(self.n_in, len(self.nodes))

    @property
    def adders(self) -> int:
        """Number of 2-input adders/subtractors (negations included)."""
        return len(self.nodes) - self.n_in

    @property
    def negations(self) -> int:
        """How many of the adders are output negations ``0 - v``."""
        return sum(1 for n in self.adder_nodes() if self.nodes[n].a is None)  # type: ignore[union-attr]

    @property
    def adder_bits(self) -> int:
        """Sum of the adders' output widths (a proxy for LUT/carry-chain cost)."""
        return sum(self.width(n) for n in self.adder_nodes())

    @property
    def depth(self) -> int:
        """Most adder levels between an input and an output."""
        return max((self._level[o.node] for o in self.outputs if o is not None), default=0)

    def consumers(self) -> list[list[int]]:
        """For every node, the adders that read it (each listed once per operand)."""
        readers: list[list[int]] = [[] for _ in self.nodes]
        for n in self.adder_nodes():
            adder = self.nodes[n]
            assert adder is not None
            for op in (adder.a, adder.b):
                if op is not None:
                    readers[op.node].append(n)
        return readers

    # ------------------------------------------------------------------ pipelining
    def pipeline(self, max_levels_per_stage: int) -> Schedule:
        """Balanced pipeline with at most *max_levels_per_stage* adder levels per stage.

        Every output gets the same latency ``max(1, ceil(depth / K))``; values that skip
        stages travel through delay registers.  Adders are placed as soon as possible
        or as late as possible, whichever needs fewer register bits.
        """
        k = max_levels_per_stage
        if k < 1:
            raise ValueError("max_levels_per_stage must be >= 1")
        latency = max(1, ceil(self.depth / k))
        readers = self.consumers()
        candidates = [self._schedule(k, latency, levels, readers)
                      for levels in (self._level, self._alap_levels(latency * k, readers))]
        return min(candidates, key=lambda s: (s.register_bits, s.stage))

    def _alap_levels(self, top: int, readers: list[list[int]]) -> list[int]:
        """Latest level of every adder such that each output is ready by level *top*."""
        levels = [top] * len(self.nodes)
        for n in range(len(self.nodes) - 1, self.n_in - 1, -1):
            for reader in readers[n]:
                levels[n] = min(levels[n], levels[reader] - 1)
        return levels

    def _schedule(self, k: int, latency: int, levels: Sequence[int],
                  readers: list[list[int]]) -> Schedule:
        stage = [1] * self.n_in + [ceil(levels[n] / k) for n in self.adder_nodes()]
        assert all(1 <= s <= latency for s in stage)
        delays = [0] * len(self.nodes)
        for n, node_readers in enumerate(readers):
            for reader in node_readers:
                delays[n] = max(delays[n], stage[reader] - stage[n])
        for out in self.outputs:
            if out is not None:
                delays[out.node] = max(delays[out.node], latency + 1 - stage[out.node])
        register_bits = sum(self.width(n) * d for n, d in enumerate(delays))
        delay_bits = sum(self.width(n) * (d - 1) for n, d in enumerate(delays) if d > 1)
        return Schedule(k, latency, tuple(stage), tuple(delays), register_bits, delay_bits)
