"""Unit tests of the frozen-weight shift-add generator (semifreddo.shiftadd); no simulator."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from pyslang import syntax

from semifreddo.shiftadd import AdderGraph, Schedule, build, scalar
from semifreddo.shiftadd.build import csd_tree
from semifreddo.shiftadd.csd import csd_digits, csd_terms, nonzero_digits
from semifreddo.shiftadd.emit import generate, out_width
from semifreddo.shiftadd.graph import input_range
from semifreddo.shiftadd.report import layer_report
from semifreddo.toolchain import lint

STRATEGIES = ["csd", "cmvm"]


# --------------------------------------------------------------------------- CSD
def _min_signed_digit_weights(n_digits: int) -> dict[int, int]:
    """Fewest non-zero digits of any {-1,0,1} representation with *n_digits* digits, by value."""
    digits = np.array(list(itertools.product((-1, 0, 1), repeat=n_digits)))
    values = digits @ (1 << np.arange(n_digits))
    weights = np.count_nonzero(digits, axis=1)
    best: dict[int, int] = {}
    for v, w in zip(values.tolist(), weights.tolist()):
        best[v] = min(best.get(v, w), w)
    return best


@pytest.mark.parametrize("bits", range(2, 9))
def test_csd_exhaustive(bits: int) -> None:
    best = _min_signed_digit_weights(bits + 1)
    lo, hi = input_range(bits, signed=True)
    for v in range(lo, hi + 1):
        digits = csd_digits(v)
        assert sum(d << k for k, d in enumerate(digits)) == v
        assert set(digits) <= {-1, 0, 1} and (not digits or digits[-1] != 0)
        assert all(not (a and b) for a, b in zip(digits, digits[1:])), f"{v}: adjacent non-zeros"
        assert nonzero_digits(v) == best[v], f"{v}: CSD not minimal"


# --------------------------------------------------------------------------- matrices
def _random_matrix(rng: np.random.Generator, shape: tuple[int, int], bits: int) -> np.ndarray:
    lo, hi = input_range(bits, signed=True)
    W = rng.integers(lo, hi, size=shape, endpoint=True)
    W[rng.random(shape) < 0.2] = 0
    return W


def _special_matrices() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    mixed = _random_matrix(rng, (6, 9), 8)
    mixed[1] = 0                               # all-zero row
    mixed[:, 4] = 0                            # all-zero column
    mixed[2] = 0
    mixed[2, 3] = -128                         # single non-zero row, most negative weight
    mixed[3] = [(-1) ** k << (k % 8) for k in range(9)]  # +-2**k
    return {
        "zeros": np.zeros((3, 4), dtype=np.int64),
        "mixed": mixed,
        "all_negative_rows": np.array([[-1, 0, 0], [-2, -4, 0], [-128, -128, -64]]),
        "identity": np.eye(5, dtype=np.int64),
        "extremes": np.array([[-128, 127, -128, 127], [127, 127, 127, 127], [-128, -128, -128, -128]]),
        "single": np.array([[-77]]),
    }


def _matrices() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(2024)
    cases = list(_special_matrices().items())
    for bits, shape in [(2, (4, 18)), (3, (5, 7)), (4, (8, 18)), (5, (1, 30)), (6, (12, 9)),
                        (7, (3, 40)), (8, (16, 144))]:
        cases.append((f"rand{bits}b_{shape[0]}x{shape[1]}", _random_matrix(rng, shape, bits)))
    return cases


MATRICES = _matrices()
INPUTS = [(8, False), (8, True), (3, True), (1, False)]


def _check_exact(graph: AdderGraph, W: np.ndarray, seed: int) -> None:
    lo, hi = graph.in_lo, graph.in_hi
    rng = np.random.default_rng(seed)
    x = rng.integers(lo, hi, size=(200, W.shape[1]), endpoint=True)
    x = np.concatenate([x, np.full((1, W.shape[1]), lo), np.full((1, W.shape[1]), hi)])
    assert np.array_equal(graph.evaluate(x), x @ W.T)
    assert np.array_equal(graph.evaluate(x[0]), W @ x[0])
    assert np.array_equal(graph.matrix(), W)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name,W", MATRICES, ids=[m[0] for m in MATRICES])
def test_strategies_exact(strategy: str, name: str, W: np.ndarray) -> None:
    for in_bits, in_signed in INPUTS if W.size < 1000 else INPUTS[:1]:
        graph = build(W, in_bits, in_signed, strategy)
        _check_exact(graph, W, seed=in_bits)


@pytest.mark.parametrize("name,W", MATRICES, ids=[m[0] for m in MATRICES])
def test_csd_tree_cost_and_depth(name: str, W: np.ndarray) -> None:
    graph = csd_tree(W, 8, False)
    rows_used = [row for row in W if row.any()]
    negative = [all(t.sign < 0 for w in row for t in csd_terms(int(w))) for row in rows_used]
    digits = [sum(nonzero_digits(int(w)) for w in row) for row in rows_used]
    assert graph.adders == sum(digits) - len(rows_used) + sum(negative)
    assert graph.negations == sum(negative)
    assert graph.depth == max((int(np.ceil(np.log2(d))) + neg for d, neg in zip(digits, negative)),
                              default=0)


@pytest.mark.parametrize("name,W", MATRICES, ids=[m[0] for m in MATRICES])
def test_cmvm_not_worse_than_csd(name: str, W: np.ndarray) -> None:
    assert build(W, 8, False, "cmvm").adders <= build(W, 8, False, "csd").adders


@pytest.mark.parametrize("slack", [0, 2])
def test_cmvm_depth_slack(slack: int) -> None:
    W = dict(MATRICES)["rand6b_12x9"]
    graph = build(W, 8, False, "cmvm", depth_slack=slack)
    assert graph.depth <= build(W, 8, False, "csd").depth + slack
    _check_exact(graph, W, seed=slack)


def test_reference_layer_saving() -> None:
    rng = np.random.default_rng(0)
    W = np.clip(np.rint(rng.normal(0, 128 / 3, (16, 144))), -128, 127).astype(np.int64)
    report = layer_report(W, 8, False, strategy="cmvm", max_levels_per_stage=3)
    assert report["csd"]["adders"] == report["weights"]["csd_digits"] - 16
    assert report["adders"] <= 0.55 * report["csd"]["adders"]
    assert report["adders"] <= 3000


@pytest.mark.parametrize("c", range(-300, 301))
def test_scalar_exhaustive(c: int) -> None:
    graph = scalar(c, 6, True)
    x = np.arange(-32, 32)[:, None]
    assert np.array_equal(graph.evaluate(x)[:, 0], c * x[:, 0])
    all_negative = c != 0 and all(t.sign < 0 for t in csd_terms(c))
    assert graph.adders <= max(nonzero_digits(c) - 1, 0) + all_negative


def test_value_ranges_and_widths() -> None:
    graph = AdderGraph(2, 8, False, 1)
    from semifreddo.shiftadd.graph import Operand

    diff = graph.add(Operand(0, 0), Operand(1, 2, negate=True))     # x0 - 4 x1
    assert graph.value_range(diff) == (-1020, 255)
    assert graph.width(diff) == 11 and graph.is_signed(diff)
    total = graph.add(Operand(0, 1), Operand(1, 0))                   # 2 x0 + x1
    assert graph.value_range(total) == (0, 765) and graph.width(total) == 10
    assert not graph.is_signed(total)


# --------------------------------------------------------------------------- pipelining
def _simulate_schedule(graph: AdderGraph, schedule: Schedule, stream: np.ndarray) -> np.ndarray:
    """Cycle-by-cycle model of the pipelined hardware: returns y for every cycle."""
    regs = {(n, d): 0 for n, depth in enumerate(schedule.delays) for d in range(1, depth + 1)}
    outputs = []
    for x in stream:
        comb: dict[int, int] = {j: int(x[j]) for j in range(graph.n_in)}

        def read(node: int, stage: int) -> int:
            delay = schedule.read_delay(node, stage)
            assert delay >= 0
            return comb[node] if delay == 0 else regs[(node, delay)]

        for n in graph.adder_nodes():
            adder, stage = graph.nodes[n], schedule.stage[n]
            a = 0 if adder.a is None else read(adder.a.node, stage) << adder.a.shift
            b = read(adder.b.node, stage) << adder.b.shift
            comb[n] = a - b if adder.b.negate else a + b
        outputs.append([0 if o is None else read(o.node, schedule.latency + 1) << o.shift
                        for o in graph.outputs])
        regs = {(n, d): comb[n] if d == 1 else regs[(n, d - 1)] for n, d in regs}
    return np.array(outputs, dtype=np.int64)


def _check_stage_depths(graph: AdderGraph, schedule: Schedule) -> None:
    local = {}
    for n in graph.adder_nodes():
        adder = graph.nodes[n]
        same_stage = [local.get(op.node, 0) for op in (adder.a, adder.b)
                      if op is not None and schedule.stage[op.node] == schedule.stage[n]
                      and not graph.is_input(op.node)]
        local[n] = 1 + max(same_stage, default=0)
        assert local[n] <= schedule.max_levels_per_stage
        for op in (adder.a, adder.b):
            if op is not None:
                assert schedule.stage[op.node] <= schedule.stage[n]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("k", [1, 2, 3, 5, 100])
def test_pipeline_balanced(strategy: str, k: int) -> None:
    rng = np.random.default_rng(k)
    W = _special_matrices()["mixed"] if k == 5 else _random_matrix(rng, (6, 20), 6)
    graph = build(W, 5, True, strategy)
    schedule = graph.pipeline(k)
    assert schedule.latency == max(1, -(-graph.depth // k))
    _check_stage_depths(graph, schedule)
    stream = rng.integers(-16, 15, size=(40, W.shape[1]), endpoint=True)
    y = _simulate_schedule(graph, schedule, stream)
    assert np.array_equal(y[schedule.latency:], stream[:-schedule.latency] @ W.T)
    widths = [graph.width(n) for n in range(len(graph.nodes))]
    assert schedule.register_bits == sum(w * d for w, d in zip(widths, schedule.delays))
    assert schedule.delay_register_bits == sum(w * (d - 1) for w, d in zip(widths, schedule.delays) if d)


def test_operand_shifted_past_its_adder_reads_as_zero(tmp_path: Path) -> None:
    """With 1-bit inputs (bit-serial digits) a CMVM adder whose terms cancel can be narrower
    than one operand's shift (twice in this matrix); modulo its width that operand is 0
    (the exact range makes that lossless).  Generation used to stop there with a
    ValueError; now the module is written and lints clean.  Bit-exact: tb/shiftadd u1."""
    W = dict(MATRICES)["rand4b_8x18"]
    mod = generate(W, name="sa_past", in_bits=1, in_signed=False, out_dir=tmp_path,
                   strategy="cmvm", max_levels_per_stage=2)
    result = lint([mod.path], mod.module)
    assert result.returncode == 0 and "%Warning" not in result.stderr, result.stderr


# --------------------------------------------------------------------------- RTL
def _binary_operators(text: str) -> list[str]:
    tree = syntax.SyntaxTree.fromText(text)
    assert not tree.diagnostics, [str(d) for d in tree.diagnostics]
    found: list[str] = []

    def visit(node: object) -> bool:
        if isinstance(node, syntax.BinaryExpressionSyntax):
            found.append(node.operatorToken.valueText)
        return True

    tree.root.visit(visit)
    return found


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", ["zeros", "mixed", "all_negative_rows", "extremes", "rand8b_16x144"])
def test_emitted_rtl(tmp_path: Path, strategy: str, name: str) -> None:
    W = dict(MATRICES)[name]
    mod = generate(W, name=f"sa_{name}_{strategy}", in_bits=8, in_signed=name == "extremes",
                   out_dir=tmp_path, strategy=strategy, max_levels_per_stage=2)
    text = mod.path.read_text()
    assert text.startswith("// Generated by semifreddo.shiftadd") and "DO NOT EDIT" in text
    assert mod.weights_sha256 in text
    assert f"localparam int unsigned Latency  = {mod.latency};" in text
    ops = _binary_operators(text)
    assert "*" not in ops and "**" not in ops
    assert ops.count("+") + ops.count("-") == mod.graph.adders
    assert mod.out_width == out_width(mod.graph)
    result = lint([mod.path], mod.module)
    assert result.returncode == 0 and "%Warning" not in result.stderr, result.stderr
