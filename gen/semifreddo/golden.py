"""The golden model: docs/arithmetic.md in vectorised NumPy, bit for bit.

Every RTL output in this project is compared with these functions.  Arrays are int64
feature maps shaped (H, W, C).  Convolutions run as one matrix product over an im2col
view; the product uses float64 BLAS when every partial sum is provably below 2^53 (so it
is exact) and int64 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .netdesc import ClassificationHead, ConvSpec, DenseHead, Network
from .weights import Config, ConvWeights

_EXACT_FLOAT = float(1 << 53)


def weight_matrix(weight: np.ndarray) -> np.ndarray:
    """(Cout, Cin, K, K) → (Cout, K·K·Cin) with column ``(ky·K + kx)·Cin + ci``.

    This is the tap order of the RTL window (rtl/sf_window.sv) and of the generated
    shift-add graphs.
    """
    cout, cin, k, _ = weight.shape
    return weight.transpose(0, 2, 3, 1).reshape(cout, k * k * cin)


def im2col(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """(H, W, C) → (Ho, Wo, K·K·C) windows with "same" zero padding, tap order as above."""
    h, w, c = x.shape
    p = (kernel - 1) // 2
    ho, wo = -(-h // stride), -(-w // stride)
    xp = np.pad(x, ((p, p), (p, p), (0, 0)))
    taps = [xp[ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride, :]
            for ky in range(kernel) for kx in range(kernel)]
    return np.concatenate(taps, axis=2)


def matvec(cols: np.ndarray, wmat: np.ndarray) -> np.ndarray:
    """Exact ``cols @ wmat.T`` for integer arrays (float64 BLAS when provably exact)."""
    bound = float(np.abs(cols).max(initial=0)) * float(np.abs(wmat).sum(axis=1).max(initial=0))
    if bound < _EXACT_FLOAT:
        return (cols.astype(np.float64) @ wmat.T.astype(np.float64)).astype(np.int64)
    return cols.astype(np.int64) @ wmat.T.astype(np.int64)


def round_shift(v: np.ndarray, shift: int) -> np.ndarray:
    """``(v + 2^(s-1)) >> s``: round half up (ties towards +inf); identity for s = 0."""
    if shift == 0:
        return v
    return (v + (1 << (shift - 1))) >> shift


def saturate(r: np.ndarray, activation: str, out_bits: int) -> np.ndarray:
    if activation == "relu":
        return np.clip(r, 0, (1 << out_bits) - 1)
    return np.clip(r, -(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1)


def requantise(acc: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """Multiply, round-shift, activate and saturate an accumulator (..., Cout)."""
    mult = np.asarray(spec.requant.mult, dtype=np.int64)
    t = acc * mult
    if np.abs(t).max(initial=0) >= (1 << 62):  # pragma: no cover - excluded by the widths
        raise OverflowError(f"{spec.name}: requantisation product exceeds int64")
    return saturate(round_shift(t, spec.requant.shift), spec.activation, spec.out_bits)


def conv_acc(x: np.ndarray, cw: ConvWeights, spec: ConvSpec) -> np.ndarray:
    """The exact accumulator ``acc`` of section 2 (bias included), shape (Ho, Wo, Cout)."""
    cols = im2col(x, spec.kernel, spec.stride)
    return matvec(cols, weight_matrix(cw.weight)) + cw.bias


def conv(x: np.ndarray, cw: ConvWeights, spec: ConvSpec) -> np.ndarray:
    """One convolution block (docs/arithmetic.md section 2)."""
    return requantise(conv_acc(x, cw, spec), spec)


def blend(f: np.ndarray, t: np.ndarray, alpha: np.ndarray, alpha_bits: int) -> np.ndarray:
    """Alpha blend (section 3.1); *f* already gathered by the channel map."""
    a = np.minimum(np.asarray(alpha, dtype=np.int64), 1 << alpha_bits)
    one = 1 << alpha_bits
    return (a * f + (one - a) * t + (one >> 1)) >> alpha_bits


def classify(t: np.ndarray, hw: ConvWeights) -> np.ndarray:
    """Classification head (section 4): sum pool, then fully connected. Returns scores."""
    pool = t.sum(axis=(0, 1), dtype=np.int64)
    return hw.bias + hw.weight.astype(np.int64) @ pool


@dataclass
class Result:
    """Everything the network computes for one frame."""

    #: Final output of each trainable core (after the last pass of the tail).
    features: dict[str, np.ndarray]
    #: Head outputs: class scores (classes,) or a dense image (H, W, Cout).
    heads: dict[str, np.ndarray]
    #: (block index, frozen output, {core: trainable output}) for every executed block.
    trace: list[tuple[int, np.ndarray, dict[str, np.ndarray]]] = field(repr=False, default_factory=list)


def schedule(net: Network, repeats: int) -> list[int]:
    """Block indices in execution order, with the tail repeated (section 3.3)."""
    order = list(range(net.num_blocks))
    if net.repeat:
        order += list(range(net.repeat.first_block, net.num_blocks)) * (repeats - 1)
    return order


def boundary(net: Network, cfg: Config, n: int, f_prev: np.ndarray,
             t_prev: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Inputs of trainable block *n* (blend, shuffle) from the previous block's outputs
    (block n-1, or block N-1 on a repeated pass of the tail)."""
    z = {}
    for core in net.cores:
        f = f_prev[..., list(core.blend_maps[n])]
        z[core.name] = blend(f, t_prev[core.name], cfg.alpha[core.name][n], net.alpha_bits)
    if cfg.shuffle and net.shuffle and n - 1 in net.shuffle.after_blocks:
        a, b = (c.name for c in net.cores)
        s = net.shuffle.channels
        za, zb = z[a].copy(), z[b].copy()
        za[..., :s], zb[..., :s] = z[b][..., :s], z[a][..., :s]
        z = {a: za, b: zb}
    return z


def run(net: Network, frozen: list[ConvWeights], cfg: Config, image: np.ndarray,
        keep_trace: bool = False) -> Result:
    """Run the whole network on one image (H, W, C) of unsigned ``input.bits`` integers."""
    image = np.asarray(image, dtype=np.int64)
    expect = (net.input_height, net.input_width, net.input_channels)
    if image.shape != expect:
        raise ValueError(f"image shape {image.shape}, network expects {expect}")
    order = schedule(net, cfg.repeats)
    trace = []
    f_prev: np.ndarray = image
    t_prev: dict[str, np.ndarray] = {}
    for step, n in enumerate(order):
        if n == 0:
            f_in, t_in = image, {c.name: image for c in net.cores}
        else:
            f_in = f_prev
            t_in = boundary(net, cfg, n, f_prev, t_prev)
        f_prev = conv(f_in, frozen[n], net.frozen[n])
        t_prev = {c.name: conv(t_in[c.name], cfg.cores[c.name][n], c.blocks[n]) for c in net.cores}
        if keep_trace:
            trace.append((n, f_prev, t_prev))
    heads = {}
    for name, head in net.heads.items():
        if isinstance(head, DenseHead):
            heads[name] = conv(t_prev[name], cfg.heads[name], head.conv)
        else:
            assert isinstance(head, ClassificationHead)
            heads[name] = classify(t_prev[name], cfg.heads[name])
    return Result(features=t_prev, heads=heads, trace=trace)
