"""The golden model against the naive loop model (tests/loop_model.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import loop_model
from netgen import descriptions
from semifreddo import golden
from semifreddo.netdesc import parse_description
from semifreddo.weights import random_config, random_frozen


def _compare(net, seed):
    rng = np.random.default_rng(seed)
    frozen = random_frozen(net, rng)
    cfg = random_config(net, rng)
    image = rng.integers(0, 1 << net.input_bits,
                         size=(net.input_height, net.input_width, net.input_channels))
    got = golden.run(net, frozen, cfg, image)
    feats, heads = loop_model.run(net, frozen, cfg, image)
    for name in feats:
        assert got.features[name].tolist() == feats[name], f"core {name} features differ"
    for name in heads:
        assert got.heads[name].tolist() == heads[name], f"head {name} differs"
    return got


@given(desc=descriptions(), seed=st.integers(0, 2**32 - 1))
def test_golden_matches_loops_on_random_descriptions(desc, seed):
    net = parse_description(desc, verify_weights=False)
    _compare(net, seed)


@pytest.mark.parametrize("activation", ["relu", "none"])
@pytest.mark.parametrize("shift", [0, 1, 5])
def test_requantise_rounds_half_up_and_saturates(activation, shift):
    from semifreddo.netdesc import Requant

    spec = type("S", (), {"requant": Requant((3,), shift), "activation": activation,
                          "out_bits": 4, "name": "t"})()
    acc = np.arange(-200, 200, dtype=np.int64)[:, None]
    got = golden.requantise(acc, spec).ravel().tolist()
    want = [loop_model.requant(int(a), 3, shift, activation, 4) for a in acc.ravel()]
    assert got == want


def test_round_half_up_at_ties():
    v = np.array([-3, -2, -1, 1, 2, 3, 5, -5])
    # ties: -3/2=-1.5 → -1, -1/2 → 0, 1/2 → 1, 3/2 → 2, 5/2 → 3, -5/2 → -2
    assert golden.round_shift(v, 1).tolist() == [-1, -1, 0, 1, 1, 2, 3, -2]


@pytest.mark.parametrize("alpha_bits", [1, 4, 8])
def test_blend_ends_pass_exactly(alpha_bits):
    rng = np.random.default_rng(alpha_bits)
    f = rng.integers(0, 256, size=(5, 5, 3))
    t = rng.integers(0, 256, size=(5, 5, 3))
    one = 1 << alpha_bits
    assert np.array_equal(golden.blend(f, t, np.full(3, one), alpha_bits), f)
    assert np.array_equal(golden.blend(f, t, np.zeros(3, np.int64), alpha_bits), t)
    mid = golden.blend(f, t, np.full(3, one // 2), alpha_bits)
    assert np.all((mid >= np.minimum(f, t)) & (mid <= np.maximum(f, t)))


def test_stride2_keeps_even_rows_and_columns():
    from semifreddo.netdesc import ConvSpec, Requant
    from semifreddo.weights import ConvWeights

    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, size=(7, 9, 2))
    w = ConvWeights(rng.integers(-8, 8, size=(3, 2, 3, 3)), rng.integers(-50, 50, size=3))

    def spec(stride):
        return ConvSpec("t", 3, stride, 2, 3, 8, False, 7, 9, 4, 8, Requant((1, 1, 1), 0), "none", 16)

    full = golden.conv(x, w, spec(1))
    half = golden.conv(x, w, spec(2))
    assert half.shape == (4, 5, 3)
    assert np.array_equal(half, full[::2, ::2])


def test_float_and_int_paths_agree():
    rng = np.random.default_rng(4)
    cols = rng.integers(0, 1 << 16, size=(50, 30))
    wmat = rng.integers(-(1 << 30), 1 << 30, size=(4, 30))  # bound > 2^53: int64 path
    assert np.array_equal(golden.matvec(cols, wmat), cols @ wmat.T)
    small = rng.integers(-100, 100, size=(4, 30))
    assert np.array_equal(golden.matvec(cols, small), cols @ small.T)
