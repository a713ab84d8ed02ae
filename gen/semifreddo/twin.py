"""The configurable twin of a frozen core, for ``make bench`` (frozen vs configurable cost).

Every frozen block of the network becomes what a *configurable* block of the same shape
and throughput is in this project: ``rtl/sf_tconv.sv`` (window, multipliers, adder trees,
requantisation multiply) reading its weights and biases from two ``rtl/sf_weight_mem.sv``
memories (two banks each, as every configurable array of the network).  Parameters are
those :class:`semifreddo.network.NetworkBuilder` gives a trainable block of the same
position (``net.engine(n, spec)``: Groups output channels per memory entry, Fold tap
phases per entry), so the twin keeps one input pixel per clock like the frozen core.  The arithmetic is the same
(docs/arithmetic.md section 2): ``Mult`` and ``Shift`` are the frozen block's requantisation,
the weights and biases are loaded at run time.

Host side: instead of the PeakRDL register block, the twin top has one plain memory bus
(``host_*``: request, write flag, byte address ``{memory index, offset}``, data, bit
enables, acks, read data) decoded to the memories' external-block ports.  The ports are
*not* tied off: a memory that is never written is undefined, and synthesis would delete it
together with every multiplier it feeds.  :func:`load_words` lists the ``(address, value)``
writes that load a frozen weight set into the shadow bank.

Streams: the frozen core's ports plus ``s_axis_tbank`` (the frame's bank, forwarded to
``m_axis_tbank``) and ``active_bank_i`` (the host writes bank ``~active_bank_i``).

Logic lives here; ``templates/twin_core.sv.mako`` only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from . import RTL_DIR
from .fileio import write_text
from .netdesc import Network
from .render import header, render
from .weights import ConvWeights

GENERATOR = "semifreddo.twin"
TEMPLATE = "twin_core.sv.mako"

#: Library modules of the twin, in compile order.
LIBRARY = ["sf_fifo.sv", "sf_mul.sv", "sf_window.sv", "sf_weight_mem.sv", "sf_tconv.sv"]


def clog2(n: int) -> int:
    return max(0, (n - 1).bit_length())


@dataclass
class TwinMemory:
    """One sf_weight_mem behind the twin's host bus (region *index*)."""

    name: str
    index: int
    depth: int
    value_width: int
    lanes: int
    values: np.ndarray          # the frozen values, in the memory's value order


@dataclass
class TwinDesign:
    top: str
    files: list[Path]
    memories: list[TwinMemory]
    offset_bits: int            # byte-offset bits per memory region
    addr_bits: int              # host_addr_i width
    blocks: list[dict] = field(default_factory=list)   # per block: parameters, multipliers

    @property
    def sources(self) -> list[Path]:
        return [RTL_DIR / name for name in LIBRARY] + self.files


def mult_param(mult: tuple[int, ...] | list[int], cout: int) -> str:
    """sf_tconv ``Mult``: channel co at ``[co*16 +: 16]``, unsigned."""
    value = 0
    for co, m in enumerate(mult):
        if not 0 <= int(m) < 1 << 16:
            raise ValueError(f"requantisation multiplier {m} does not fit sf_tconv's 16-bit Mult")
        value |= int(m) << (16 * co)
    return f"{cout * 16}'h{value:x}"


def generate(net: Network, frozen: list[ConvWeights], out_dir: Path) -> TwinDesign:
    """Write ``<net>_twin_core.sv`` into *out_dir* (library modules are in ``rtl/``)."""
    out_dir = Path(out_dir)
    top = f"{net.name}_twin_core"
    blocks, memories = [], []
    for n, (spec, cw) in enumerate(zip(net.frozen, frozen)):
        eng = net.engine(n, spec)
        g, taps, cycles = eng.groups, eng.taps, eng.cycles
        wmem = TwinMemory(f"b{n}_weight", len(memories), spec.weight_count, spec.weight_bits, g * taps,
                          np.asarray(cw.weight, dtype=np.int64).reshape(-1))
        bmem = TwinMemory(f"b{n}_bias", len(memories) + 1, spec.out_channels, spec.bias_bits, g,
                          np.asarray(cw.bias, dtype=np.int64).reshape(-1))
        memories += [wmem, bmem]
        blocks.append(SimpleNamespace(
            index=n, name=spec.name, wmem=wmem, bmem=bmem,
            in_width=spec.in_channels * spec.in_bits, out_width=spec.out_channels * spec.out_bits,
            entry_width=max(1, clog2(cycles)),
            params=[("Width", spec.in_width), ("Height", spec.in_height), ("Cin", spec.in_channels),
                    ("Cout", spec.out_channels), ("Kernel", spec.kernel), ("Stride", spec.stride),
                    ("InBits", spec.in_bits), ("InSigned", "1'b1" if spec.in_signed else "1'b0"),
                    ("WeightBits", spec.weight_bits), ("BiasBits", spec.bias_bits),
                    ("OutBits", spec.out_bits), ("Relu", "1'b1" if spec.activation == "relu" else "1'b0"),
                    ("Shift", spec.requant.shift), ("Mult", mult_param(spec.requant.mult, spec.out_channels)),
                    ("Groups", g), ("Fold", eng.fold)],
            groups=g, taps=taps, cycles=cycles, multipliers=eng.multipliers,
            comment=f"frozen block {n} as configurable: {spec.kernel}x{spec.kernel}/{spec.stride}, "
                    f"{spec.in_channels} -> {spec.out_channels}, G = {g} channel(s) per entry, "
                    f"F = {eng.fold} tap phase(s), {eng.multipliers} multipliers"))
    offset_bits = max(2, max(clog2(4 * m.depth) for m in memories))
    region_bits = max(1, clog2(len(memories)))
    for m in memories:
        m.host_addr_width = offset_bits  # type: ignore[attr-defined]
    src = str(net.source) if net.source else "(in-memory description)"
    text = render(TEMPLATE, top=top, blocks=blocks, memories=memories, offset_bits=offset_bits,
                  region_bits=region_bits, addr_bits=offset_bits + region_bits,
                  header=header(GENERATOR, TEMPLATE, [f"{src} (build ID {net.build_id:016x})"]))
    path = out_dir / f"{top}.sv"
    write_text(path, text)
    info = [{"block": b.name, "groups": b.groups, "taps": b.taps, "clocks_per_window": b.cycles,
             "multipliers": b.multipliers, "weight_values": b.wmem.depth, "weight_lanes": b.wmem.lanes}
            for b in blocks]
    return TwinDesign(top=top, files=[path], memories=memories, offset_bits=offset_bits,
                      addr_bits=offset_bits + region_bits, blocks=info)


def load_words(design: TwinDesign) -> list[tuple[int, int]]:
    """``(byte address, 32-bit word)`` host writes that load every memory's values."""
    words = []
    for m in design.memories:
        base = m.index << design.offset_bits
        for i, v in enumerate(m.values):
            words.append((base + 4 * i, int(v) & 0xFFFFFFFF))
    return words
