"""RTL generation: a description plus its frozen weights → SystemVerilog files.

Logic lives here, layout in ``templates/``.  Every generated file opens with
:func:`semifreddo.render.header` naming this generator and its inputs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from . import RTL_DIR, golden
from .fileio import write_text
from .netdesc import DEFAULT_REGISTER_FANOUT, ConvSpec, Network
from .regmap import pow2_ceil
from .render import header, render
from .weights import ConvWeights

#: Hand-written library modules every generated design instantiates.
LIBRARY = ["sf_fifo.sv", "sf_window.sv"]
#: Window values per copy of a digit-serial block's digit select.
SELECT_FANOUT = 8


def signed_width(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement type holding [lo, hi]."""
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def sv_signed(value: int, width: int) -> str:
    """A sized signed SystemVerilog literal."""
    return f"-{width}'sd{-value}" if value < 0 else f"{width}'sd{value}"


def input_range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def matrix_range(wmat: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-row range of ``wmat @ x`` for every x with entries in [lo, hi]."""
    w = wmat.astype(object)
    row_lo = np.array([sum(min(c * lo, c * hi) for c in row) for row in w], dtype=object)
    row_hi = np.array([sum(max(c * lo, c * hi) for c in row) for row in w], dtype=object)
    return row_lo, row_hi


@dataclass
class GeneratedBlock:
    module: str
    files: list[Path]
    report: dict[str, Any]
    latency: int


@dataclass
class GeneratedDesign:
    top: str
    files: list[Path]
    blocks: list[GeneratedBlock] = field(default_factory=list)

    @property
    def sources(self) -> list[Path]:
        return [RTL_DIR / name for name in LIBRARY] + self.files


def digit_layout(in_bits: int, digits: int) -> tuple[int, int]:
    """``(digit_bits, padded_bits)`` of a value of *in_bits* bits taken in *digits* digits,
    most significant first: ``D = ceil(in_bits / digits)`` bits a digit, the value
    zero-extended to ``digits * D`` bits."""
    d = -(-in_bits // digits)
    return d, digits * d


def frozen_block(spec: ConvSpec, cw: ConvWeights, module: str, made_from: list[str],
                 levels_per_stage: int, out_dir: Path,
                 max_fanout: int = DEFAULT_REGISTER_FANOUT, digits: int = 1) -> GeneratedBlock:
    """Generate one frozen convolution block (window, shift-add datapath, requantisation,
    output FIFO) into *out_dir*; the per-layer report compares with the CSD tree.
    *max_fanout*: readers per datapath register (``frozen.register_fanout``).
    *digits* (``Network.frozen_digits``): S > 1 takes each window in S digits of
    ``ceil(in_bits / S)`` bits through one shift-add graph, one digit per clock, and
    accumulates ``acc = (acc << D) + W u_k`` (docs/arithmetic.md section 2); the block
    then accepts a window every S clocks."""
    from .shiftadd import build
    from .shiftadd.emit import generate
    from .shiftadd.report import graph_metrics

    if digits < 1 or digits > spec.in_bits:
        raise ValueError(f"{spec.name}: digits must be 1..{spec.in_bits}, got {digits}")
    mult = np.asarray(spec.requant.mult, dtype=np.int64)
    wmat = golden.weight_matrix(cw.weight.astype(np.int64)) * mult[:, None]
    s = spec.requant.shift
    const = [int(m) * int(b) + ((1 << (s - 1)) if s else 0) for m, b in zip(mult, cw.bias)]
    serial = digits > 1
    digit_bits, padded_bits = digit_layout(spec.in_bits, digits)
    # Serial digits are unsigned: a signed input x is taken as u = x + 2^(B-1) (its sign
    # bit flipped), and W 2^(B-1) goes into the constant.
    offset = (1 << (spec.in_bits - 1)) if serial and spec.in_signed else 0
    if offset:
        const = [c - offset * int(row.sum()) for c, row in zip(const, wmat)]
    dot_bits, dot_signed = (digit_bits, False) if serial else (spec.in_bits, spec.in_signed)

    t0 = time.perf_counter()
    dot = generate(wmat, name=f"{module}_dot", in_bits=dot_bits, in_signed=dot_signed,
                   out_dir=out_dir, strategy=spec.strategy, max_levels_per_stage=levels_per_stage,
                   max_fanout=max_fanout,
                   layer=f"{spec.name} ({'; '.join(made_from)})")
    gen_seconds = time.perf_counter() - t0

    xlo, xhi = (0, (1 << spec.in_bits) - 1) if serial else input_range(spec.in_bits, spec.in_signed)
    acc_lo, acc_hi = matrix_range(wmat, xlo, xhi)
    # The accumulator holds W u' for prefixes u' <= u of the digits, inside [acc_lo, acc_hi].
    acc_width = max(signed_width(min(min(acc_lo), -1), max(acc_hi)), dot.out_width) if serial \
        else dot.out_width
    q_lo = min(int(a) + c for a, c in zip(acc_lo, const))
    q_hi = max(int(a) + c for a, c in zip(acc_hi, const))
    q_width = max(signed_width(q_lo, q_hi), acc_width + 1, s + spec.out_bits + 2)
    r_width = q_width - s
    r_lo, r_hi = input_range(spec.out_bits, spec.activation == "none")

    # serial: S - 1 more digits after the first, then the accumulator
    latency = dot.latency + 2 + (digits if serial else 0)
    in_depth = pow2_ceil(spec.in_width // 2 + 8) if serial else 4
    blk = SimpleNamespace(
        name=spec.name, module=module, dot_module=dot.module, strategy=spec.strategy,
        kernel=spec.kernel, stride=spec.stride, width=spec.in_width, height=spec.in_height,
        cin=spec.in_channels, cout=spec.out_channels, in_bits=spec.in_bits, out_bits=spec.out_bits,
        in_width=spec.in_channels * spec.in_bits, out_width=spec.out_channels * spec.out_bits,
        window_width=spec.kernel ** 2 * spec.in_channels * spec.in_bits,
        acc_width=acc_width, dot_width=dot.out_width, q_width=q_width, r_width=r_width, shift=s,
        r_lo=sv_signed(r_lo, r_width), r_hi=sv_signed(r_hi, r_width),
        latency=latency, fifo_depth=1 << (latency + 3).bit_length(), in_depth=in_depth,
        digits=digits, digit_bits=digit_bits, padded_bits=padded_bits, n_in=dot.n_in,
        flip=offset, dot_latency=dot.latency,
        digit_copies=-(-dot.n_in // SELECT_FANOUT), select_fanout=SELECT_FANOUT,
        channels=[SimpleNamespace(index=co, constant=sv_signed(c, q_width)) for co, c in enumerate(const)],
    )
    path = out_dir / f"{module}.sv"
    write_text(path, render("frozen_conv.sv.mako", blk=blk, header=header(
        "semifreddo.rtlgen.frozen_block", "frozen_conv.sv.mako", made_from)))
    report = {"block": spec.name, "strategy": spec.strategy, "weights": int(cw.weight.size),
              "nonzero_weights": int(np.count_nonzero(cw.weight)),
              **graph_metrics(dot.graph, levels_per_stage),
              "digits": digits, "digit_bits": dot_bits,
              "csd": graph_metrics(build(wmat, dot_bits, dot_signed, "csd"), levels_per_stage),
              "generation_seconds": round(gen_seconds, 3), "datapath_latency": dot.latency,
              "block_latency": latency}
    return GeneratedBlock(module=module, files=[path, dot.path], report=report, latency=latency)


def frozen_core(net: Network, frozen: list[ConvWeights], out_dir: Path) -> GeneratedDesign:
    """Generate the frozen core into *out_dir*: all frozen blocks chained, one pixel
    stream in (the image) and one out (the last frozen feature map)."""
    top = f"{net.name}_frozen_core"
    src = str(net.source) if net.source else "(in-memory description)"
    blocks = []
    for n, (spec, cw) in enumerate(zip(net.frozen, frozen)):
        made_from = [f"{src} (build ID {net.build_id:016x})",
                     f"frozen block {n} of {net.frozen_weights.name if net.frozen_weights else 'weights'} "
                     f"(sha256 {net.frozen_sha256[:16]}...)"]
        blocks.append(frozen_block(spec, cw, f"{net.name}_frozen_b{n}", made_from,
                                   net.adder_levels_per_stage, out_dir, net.register_fanout,
                                   net.frozen_digits(n)))
    stages = [SimpleNamespace(module=b.module, index=n, in_width=s.in_channels * s.in_bits,
                              out_width=s.out_channels * s.out_bits)
              for n, (b, s) in enumerate(zip(blocks, net.frozen))]
    text = render("frozen_core.sv.mako", top=top, stages=stages,
                  header=header("semifreddo.rtlgen.frozen_core", "frozen_core.sv.mako",
                                [f"{src} (build ID {net.build_id:016x})"]))
    path = out_dir / f"{top}.sv"
    write_text(path, text)
    paths = [path] + [f for b in blocks for f in b.files]
    return GeneratedDesign(top=top, files=paths, blocks=blocks)
