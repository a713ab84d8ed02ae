"""The host register map: one model, rendered to SystemRDL and from there to RTL, C and docs.

A host configures the two trainable cores through a 32-bit AXI4-Lite slave.  This module
builds that slave's address map from a :class:`~semifreddo.netdesc.Network`
(:func:`build_map`), renders it as SystemRDL (``templates/regmap.rdl.mako``: layout only),
compiles it with systemrdl-compiler and runs the PeakRDL exporters through their Python
APIs (:func:`generate`):

* peakrdl-regblock  -> ``<net>_regblock.sv`` + ``<net>_regblock_pkg.sv`` (passthrough
  CPU interface, read-back retimed, ``err_if_bad_addr``: SLVERR on unmapped addresses, async
  active-low reset; its structs are rewritten ``packed`` for Yosys, see :func:`pack_structs`);
* ``templates/regs_top.sv.mako`` -> ``<net>_regs.sv``: the block a design instantiates.
  Its AXI4-Lite port goes through ``rtl/sf_axil_cpuif.sv`` (registered request, in-order
  response FIFO) into the regblock.  It serves the regblock's two external blocks: the
  two-bank run-time settings (shuffle, repeats, alpha: an external regfile) and the
  weights window (an external addrmap holding every weight/bias memory, one
  ``rtl/sf_weight_mem.sv`` each, decoded in the wrapper), plus the bank swap, frame
  counter and error flags;
* peakrdl-cheader   -> ``<net>_regs.h``;  peakrdl-markdown -> ``<net>_regs.md``;
* ``<net>_regblock.vlt``: the Verilator lint waivers for the regblock file only.

Every generated file opens with :func:`semifreddo.render.header`.

**Bus behaviour.** 32-bit data, byte addresses, word aligned.  Mapped address: OKAY
(writes to read-only bits are ignored, still OKAY).  Unmapped address (between the fixed
registers, the settings regfile and the weights window, or past the end of either):
SLVERR, write ignored, read data 0; ERR.bus_err is set and BUS_ERR_COUNT counts it.  WSTRB is
honoured everywhere (a memory or setting word merges the written bytes into its 32-bit
view, then trims/saturates).

**Banks.** Every run-time setting and every configurable weight exists twice.  The host
always reads and writes the SHADOW bank (``1 - STATUS.active_bank``); the datapath reads
the ACTIVE bank.  Writing 1 to CTRL.commit requests a swap: at the next ``frame_start_i``
pulse the banks exchange roles (the old active set becomes the shadow, i.e. after a commit
the shadow holds the *previous* configuration: load a complete Config before each commit,
as :func:`encode_config` does) and CTRL.commit returns to 0.  Do not write the shadow
bank while CTRL.commit reads 1: such a write races with the swap.

**Memory packing.** The memories lie back to back in the weights window (naturally
aligned, no gaps: every word of the window is a value; layout version 2, version 1 gave
every memory its own naturally aligned region).  One value per 32-bit word, word ``i``
at ``base + 4*i``.  Weights are
the C-order (row-major) flattening of ``(Cout, Cin, K, K)`` (a classification head:
``(classes, C)``), biases are in output-channel order.  A write keeps the low
``value_width`` bits (two's complement: the value is trimmed, not saturated); a read
returns the stored value sign-extended to 32 bits.  Alpha words hold
``min(word, 2**alpha_bits)`` (unsigned saturation of the whole 32-bit word, the hardware
rule of docs/arithmetic.md 3.1); REPEATS holds the word clamped to ``[1, max_repeats]``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field as dc_field
from pathlib import Path

from . import RTL_DIR
from .fileio import write_text
from .netdesc import ClassificationHead, DenseHead, Network
from .render import header, render
from .weights import Config

#: MAGIC register: ASCII "SFNT".
MAGIC = 0x53464E54
#: VERSION register: layout version of this register map (major changes break hosts).
FORMAT_MAJOR = 2
FORMAT_MINOR = 0
WORD = 4
DATA_WIDTH = 32
#: Bytes reserved for the fixed registers at address 0.
FIXED_SPAN = 0x40
SLVERR = 2

GENERATOR = "semifreddo.regmap"


def clog2(n: int) -> int:
    return max(0, (n - 1).bit_length())


def pow2_ceil(n: int) -> int:
    return 1 << clog2(n)


# --------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------

#: Field access kinds (the test bench's bus model implements exactly these).
ACCESS = {
    "const": "read-only constant (the reset value)",
    "ro": "read-only, driven by hardware",
    "rw": "read/write",
    "pulse": "write 1: one-cycle pulse to hardware; reads 0",
    "w1s_hwclr": "write 1 sets, writing 0 has no effect; hardware clears",
    "w1c": "sticky: hardware sets, write 1 clears (a set in the same cycle wins)",
    "counter": "read/write; hardware increments (saturating unless noted)",
    "counter_ro": "read-only; hardware increments, wraps",
    # external (settings) words: the whole 32-bit written word is transformed
    "bit": "read/write, bit 0 of the word",
    "clamp": "read/write; the written word is clamped to [lo, hi]",
    "sat": "read/write; the written word saturates at hi",
}


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    access: str
    reset: int = 0
    desc: str = ""
    lo: int = 0          # clamp / sat bounds (settings words)
    hi: int = 0

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """A register, or an array of ``count`` identical registers ``stride`` bytes apart."""

    name: str
    address: int
    fields: tuple[Field, ...]
    desc: str
    count: int = 1
    stride: int = WORD
    external: bool = False   # served by the generated wrapper, not by the regblock
    array: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name}.{name}")

    def addresses(self) -> list[int]:
        return [self.address + i * self.stride for i in range(self.count)]


@dataclass(frozen=True)
class Region:
    """A block of ``count`` values, one per 32-bit word: a weight memory or an alpha array."""

    name: str
    kind: str            # "mem" (two-bank sf_weight_mem) or "alpha" (settings register array)
    base: int
    count: int
    value_width: int
    signed: bool
    desc: str
    shape: tuple[int, ...] = ()
    #: where the values come from in a weights.Config: (core, block, "weight"|"bias"|"alpha")
    #: or (core, None, "head_weight"|"head_bias")
    source: tuple = ()

    @property
    def size(self) -> int:
        return self.count * WORD

    @property
    def span(self) -> int:
        return pow2_ceil(self.size)

    @property
    def host_addr_width(self) -> int:
        """Width of the regblock's byte offset into this region."""
        return clog2(self.size)

    @property
    def index_width(self) -> int:
        """Width of a value index (at least 1 bit)."""
        return max(1, clog2(self.count))

    def encode(self, value: int) -> int:
        """The 32-bit bus word for *value*."""
        return int(value) & 0xFFFFFFFF

    def address(self, index: int = 0) -> int:
        if not 0 <= index < self.count:
            raise IndexError(f"{self.name}[{index}] out of range (count {self.count})")
        return self.base + WORD * index


@dataclass(frozen=True)
class Block:
    """An externally served, naturally aligned address block (regblock ``external``)."""

    name: str
    kind: str     # "settings" (regfile) or "weights" (addrmap of every memory)
    base: int
    size: int

    @property
    def span(self) -> int:
        return pow2_ceil(self.size)

    @property
    def addr_width(self) -> int:
        return clog2(self.size)


@dataclass
class RegisterMap:
    net_name: str
    build_id: int
    alpha_bits: int
    max_repeats: int
    registers: dict[str, Register]
    regions: dict[str, Region]
    blocks: list[Block]
    settings: list[Register]          # words of the settings regfile, in address order
    size: int                         # bytes spanned (end of the last block)
    #: values per datapath read of each memory (Network.lanes(); absent = 1)
    lanes: dict[str, int] = dc_field(default_factory=dict)

    # -- names ------------------------------------------------------------------------
    @property
    def regblock_module(self) -> str:
        return f"{self.net_name}_regblock"

    @property
    def top_module(self) -> str:
        return f"{self.net_name}_regs"

    @property
    def addr_width(self) -> int:
        """AXI4-Lite address width of the slave: the whole map, at least 3 bits."""
        return max(clog2(self.size), clog2(DATA_WIDTH // 8) + 1)

    @property
    def memories(self) -> dict[str, Region]:
        return {n: r for n, r in self.regions.items() if r.kind == "mem"}

    @property
    def settings_block(self) -> Block | None:
        return next((b for b in self.blocks if b.kind == "settings"), None)

    @property
    def weights_block(self) -> Block | None:
        return next((b for b in self.blocks if b.kind == "weights"), None)

    # -- look-ups ---------------------------------------------------------------------
    def address(self, name: str, index: int | None = None) -> int:
        """Byte address of a register or region (``"ctrl"``, ``"a_blk1_alpha[2]"``,
        ``address("a_blk0_weight", 5)``)."""
        m = re.fullmatch(r"(\w+)\[(\d+)\]", name)
        if m:
            if index is not None:
                raise ValueError("index given twice")
            name, index = m.group(1), int(m.group(2))
        if name in self.regions:
            return self.regions[name].address(index or 0)
        if name in self.registers:
            reg = self.registers[name]
            i = index or 0
            if not 0 <= i < reg.count:
                raise IndexError(f"{name}[{i}] out of range (count {reg.count})")
            return reg.address + i * reg.stride
        raise KeyError(f"no register or region named {name!r}")

    def field(self, register: str, name: str) -> Field:
        return self.registers[register].field(name)

    def mapped_words(self) -> dict[int, tuple[str, int]]:
        """Every mapped word address -> (register or region name, index)."""
        out: dict[int, tuple[str, int]] = {}
        for reg in self.registers.values():
            for i, a in enumerate(reg.addresses()):
                out[a] = (reg.name, i)
        for reg in self.regions.values():
            if reg.kind == "mem":
                for i in range(reg.count):
                    out[reg.base + WORD * i] = (reg.name, i)
        return out

    # -- configuration ----------------------------------------------------------------
    def encode_config(self, cfg: Config) -> list[tuple[int, int]]:
        """Every ``(address, word)`` write that loads *cfg* into the shadow bank.

        Settings first (shuffle, repeats, alpha), then the memories, each in address
        order.  Commit separately: write :meth:`commit_write`.
        """
        writes: list[tuple[int, int]] = []
        if "shuffle" in self.registers:
            writes.append((self.address("shuffle"), int(bool(cfg.shuffle))))
        elif cfg.shuffle:
            raise ValueError("config has shuffle on, the network has no shuffle")
        if "repeats" in self.registers:
            writes.append((self.address("repeats"), int(cfg.repeats)))
        elif cfg.repeats != 1:
            raise ValueError("config has repeats != 1, the network has no repeatable tail")
        regions = sorted(self.regions.values(), key=lambda r: (r.kind != "alpha", r.base))
        for reg in regions:
            values = _config_values(reg, cfg)
            if len(values) != reg.count:
                raise ValueError(f"{reg.name}: config has {len(values)} values, map has {reg.count}")
            writes += [(reg.base + WORD * i, reg.encode(v)) for i, v in enumerate(values)]
        return writes

    def commit_write(self) -> tuple[int, int]:
        """The write that requests the bank swap at the next frame boundary."""
        return self.address("ctrl"), 1 << self.field("ctrl", "commit").lsb


def _config_values(reg: Region, cfg: Config) -> list[int]:
    core, block, what = reg.source
    if what == "alpha":
        arr = cfg.alpha[core][block]
    elif what in ("weight", "bias"):
        arr = getattr(cfg.cores[core][block], what)
    else:
        arr = getattr(cfg.heads[core], what.removeprefix("head_"))
    return [int(v) for v in arr.reshape(-1)]


def encode_config(net: Network, cfg: Config) -> list[tuple[int, int]]:
    """``(address, word)`` writes that load *cfg* into the shadow bank of *net*'s hardware."""
    return build_map(net).encode_config(cfg)


# --------------------------------------------------------------------------------------
# Building the map
# --------------------------------------------------------------------------------------

def _fixed_registers(net: Network) -> list[Register]:
    bid = net.build_id
    return [
        Register("magic", 0x00, (Field("value", 0, 32, "const", MAGIC, 'ASCII "SFNT"'),),
                 "Identifies a SemifreddoNets configuration slave."),
        Register("version", 0x04, (
            Field("minor", 0, 16, "const", FORMAT_MINOR, "compatible additions"),
            Field("major", 16, 16, "const", FORMAT_MAJOR, "incompatible layout changes"),
        ), "Layout version of this register map."),
        Register("build_id_lo", 0x08, (Field("value", 0, 32, "const", bid & 0xFFFFFFFF, "bits 31:0"),),
                 "Build ID bits 31:0 (docs/description.md: hash of description and frozen weights)."),
        Register("build_id_hi", 0x0C, (Field("value", 0, 32, "const", bid >> 32, "bits 63:32"),),
                 "Build ID bits 63:32. A weight set must carry the same build ID."),
        Register("ctrl", 0x10, (
            Field("enable", 0, 1, "rw", 0, "1: the datapath processes frames"),
            Field("start", 1, 1, "pulse", 0, "write 1: one-cycle start pulse to the datapath"),
            Field("commit", 2, 1, "w1s_hwclr", 0,
                  "write 1: swap the weight banks at the next frame boundary; reads 1 while pending"),
        ), "Control."),
        Register("status", 0x14, (
            Field("active_bank", 0, 1, "ro", 0, "bank the datapath uses; the host accesses the other"),
            Field("commit_pending", 1, 1, "ro", 0, "a commit waits for the next frame boundary"),
            Field("frame_done", 8, 1, "w1c", 0, "a frame completed since last cleared"),
        ), "Status."),
        Register("frame_count", 0x18, (Field("count", 0, 32, "counter_ro", 0, "frames completed (wraps)"),),
                 "Frames completed since reset."),
        Register("err", 0x1C, (
            Field("frame_err", 0, 1, "w1c", 0, "the input stream broke the frame format"),
            Field("bus_err", 1, 1, "w1c", 0, "an access to an unmapped address got SLVERR"),
        ), "Sticky error flags."),
        Register("bus_err_count", 0x20, (
            Field("count", 0, 16, "counter", 0, "SLVERR responses (saturates at 0xFFFF; write to reset)"),
        ), "Bad bus accesses."),
    ]


def build_map(net: Network) -> RegisterMap:
    """Lay out the register map of *net* (deterministic: same description, same map)."""
    registers = {r.name: r for r in _fixed_registers(net)}
    assert max(r.address for r in registers.values()) < FIXED_SPAN

    # Settings regfile: shuffle, repeats, then one alpha array per core per block n >= 1.
    settings: list[Register] = []
    regions: list[Region] = []
    off = 0
    if net.shuffle:
        settings.append(Register("shuffle", off, (Field("on", 0, 1, "bit", 0, "1: cores exchange channels"),),
                                 f"Core shuffle switch (boundaries after blocks "
                                 f"{sorted(net.shuffle.after_blocks)}, {net.shuffle.channels} channels).",
                                 external=True))
        off += WORD
    if net.repeat:
        rw = clog2(net.repeat.max_repeats + 1)
        settings.append(Register("repeats", off, (
            Field("value", 0, rw, "clamp", 1, f"passes of the tail (blocks {net.repeat.first_block}.."
                  f"{net.num_blocks - 1}); a write is clamped to [1, {net.repeat.max_repeats}]",
                  lo=1, hi=net.repeat.max_repeats),), "Repeat count R of the tail.", external=True))
        off += WORD
    amax = 1 << net.alpha_bits
    for core in net.cores:
        for n, spec in enumerate(core.blocks):
            if n == 0:
                continue
            name = f"{core.name}_blk{n}_alpha"
            settings.append(Register(
                name, off, (Field("value", 0, net.alpha_bits + 1, "sat", 0,
                                  f"alpha (0: the core's own feature, {amax}: the frozen feature); "
                                  f"a write above {amax} saturates to {amax}", lo=0, hi=amax),),
                f"Alpha of core {core.name} block {n}, one per input channel.",
                count=spec.in_channels, external=True, array=True))
            regions.append(Region(name, "alpha", off, spec.in_channels, net.alpha_bits + 1, False,
                                  f"alpha of core {core.name} block {n}", (spec.in_channels,),
                                  (core.name, n, "alpha")))
            off += WORD * spec.in_channels
    settings_size = off

    mems: list[Region] = []
    for core in net.cores:
        for n, spec in enumerate(core.blocks):
            mems.append(Region(f"{core.name}_blk{n}_weight", "mem", 0, spec.weight_count, spec.weight_bits, True,
                               f"weights of core {core.name} block {n}, (Cout, Cin, K, K) = "
                               f"{spec.weight_shape} row-major", spec.weight_shape, (core.name, n, "weight")))
            mems.append(Region(f"{core.name}_blk{n}_bias", "mem", 0, spec.out_channels, spec.bias_bits, True,
                               f"biases of core {core.name} block {n}", (spec.out_channels,),
                               (core.name, n, "bias")))
    for core in net.cores:
        head = net.heads.get(core.name)
        if head is None:
            continue
        if isinstance(head, DenseHead):
            wshape, cout, wb, bb = head.conv.weight_shape, head.conv.out_channels, head.conv.weight_bits, \
                head.conv.bias_bits
            kind = "dense"
        else:
            assert isinstance(head, ClassificationHead)
            wshape, cout, wb, bb = head.weight_shape, head.classes, head.weight_bits, head.bias_bits
            kind = "classification"
        count = 1
        for d in wshape:
            count *= d
        mems.append(Region(f"{core.name}_head_weight", "mem", 0, count, wb, True,
                           f"weights of the {kind} head of core {core.name}, {wshape} row-major", wshape,
                           (core.name, None, "head_weight")))
        mems.append(Region(f"{core.name}_head_bias", "mem", 0, cout, bb, True,
                           f"biases of the {kind} head of core {core.name}", (cout,),
                           (core.name, None, "head_bias")))

    # The weights window: every memory, packed back to back in the order above (no gaps:
    # every word of the window is a value), served as ONE external block of the regblock.
    # Its own decode into the memories is pipelined in the wrapper (timing: the regblock's
    # read-back then muxes two external blocks, not one per memory).
    offsets: dict[str, int] = {}
    window = 0
    for mem in mems:
        offsets[mem.name] = window
        window += mem.size

    # Place the external blocks (settings, weights): largest first, each naturally aligned
    # (regblock rule), lowest free address first; the fixed registers occupy [0, FIXED_SPAN).
    todo: list[tuple[str, str, int]] = []
    if settings_size:
        todo.append(("settings", "settings", settings_size))
    if window:
        todo.append(("weights", "weights", window))
    order = sorted(range(len(todo)), key=lambda i: (-pow2_ceil(todo[i][2]), i))
    occupied = [(0, FIXED_SPAN)]
    bases: dict[str, int] = {}
    for i in order:
        name, _, size = todo[i]
        span = pow2_ceil(size)
        a = 0
        while any(a < hi and lo < a + span for lo, hi in occupied):
            a += span
        occupied.append((a, a + span))
        bases[name] = a
    blocks = sorted((Block(n, k, bases[n], s) for n, k, s in todo), key=lambda b: b.base)

    sbase = bases.get("settings", 0)
    settings = [Register(r.name, sbase + r.address, r.fields, r.desc, r.count, r.stride, True, r.array)
                for r in settings]
    regions = [Region(r.name, r.kind, sbase + r.base, r.count, r.value_width, r.signed, r.desc, r.shape,
                      r.source) for r in regions]
    regions += [Region(m.name, m.kind, bases["weights"] + offsets[m.name], m.count, m.value_width, m.signed,
                       m.desc, m.shape, m.source) for m in mems]
    for r in settings:
        registers[r.name] = r
    size = max(b.base + b.size for b in blocks) if blocks else FIXED_SPAN
    size = max(size, max(r.address + WORD for r in _fixed_registers(net)))
    return RegisterMap(net_name=net.name, build_id=net.build_id, alpha_bits=net.alpha_bits,
                       max_repeats=net.max_repeats, registers=registers,
                       regions={r.name: r for r in regions}, blocks=blocks, settings=settings, size=size,
                       lanes=net.lanes())


# --------------------------------------------------------------------------------------
# SystemRDL
# --------------------------------------------------------------------------------------

_RDL_PROPS = {
    "const": "sw = r; hw = na;",
    "ro": "sw = r; hw = w;",
    "rw": "sw = rw; hw = r;",
    "pulse": "sw = w; hw = r; singlepulse;",
    "w1s_hwclr": "sw = rw; hw = r; onwrite = woset; hwclr;",
    "w1c": "sw = rw; hw = na; onwrite = woclr; hwset; precedence = hw;",
    "counter": "sw = rw; hw = na; counter; incrsaturate;",
    "counter_ro": "sw = r; hw = na; counter;",
    "bit": "sw = rw; hw = na;",
    "clamp": "sw = rw; hw = na;",
    "sat": "sw = rw; hw = na;",
}


def _rdl_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rdl_field(f: Field) -> str:
    reset = "" if f.access == "ro" else f" = 0x{f.reset:x}"
    return (f"field {{ desc = {_rdl_str(f.desc)}; {_RDL_PROPS[f.access]} }} "
            f"{f.name}[{f.msb}:{f.lsb}]{reset};")


def rdl_text(m: RegisterMap, made_from: list[str]) -> str:
    """The SystemRDL source of the map (layout in templates/regmap.rdl.mako)."""
    return render("regmap.rdl.mako", m=m, sblock=m.settings_block, wblock=m.weights_block,
                  rdl_field=_rdl_field, q=_rdl_str,
                  header=header(GENERATOR, "regmap.rdl.mako", made_from))


def compile_rdl(path: Path):
    """Compile an RDL file; returns the elaborated top :class:`AddrmapNode`."""
    from peakrdl_regblock.udps import ALL_UDPS
    from systemrdl import RDLCompiler

    rdlc = RDLCompiler()
    for udp in ALL_UDPS:  # regblock's user-defined properties must be known to elaborate
        rdlc.register_udp(udp)
    rdlc.compile_file(str(path))
    return rdlc.elaborate().top


def check_compiled(m: RegisterMap, top) -> None:
    """The compiled RDL has exactly the model's addresses (guards template drift)."""
    from systemrdl.node import AddrmapNode, MemNode, RegfileNode, RegNode

    seen: dict[str, tuple[int, int]] = {}
    for node in top.descendants(unroll=False):
        if isinstance(node, (AddrmapNode, MemNode, RegfileNode)):
            seen[node.inst_name] = (node.raw_absolute_address, node.size)
        elif isinstance(node, RegNode):
            seen[node.inst_name] = (node.raw_absolute_address,
                                    node.array_dimensions[0] if node.is_array else 1)
    for reg in m.registers.values():
        got = seen.pop(reg.name, None)
        if got != (reg.address, reg.count):
            raise AssertionError(f"RDL {reg.name}: {got}, model ({reg.address:#x}, {reg.count})")
    for blk in m.blocks:
        got = seen.pop(blk.name, None)
        if got != (blk.base, blk.size):
            raise AssertionError(f"RDL {blk.name}: {got}, model ({blk.base:#x}, {blk.size})")
    for mem in m.memories.values():
        got = seen.pop(mem.name, None)
        if got != (mem.base, mem.size):
            raise AssertionError(f"RDL {mem.name}: {got}, model ({mem.base:#x}, {mem.size})")
    if seen:
        raise AssertionError(f"RDL has components the model lacks: {sorted(seen)}")


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------

_UNPACKED_DIM = re.compile(r"\w+\s*\[[^\]]+\]\s*;\s*$")


def pack_structs(text: str) -> str:
    """Make the regblock's structs ``packed``: Yosys's SystemVerilog frontend (the ECP5
    flow) supports only packed structs.  Equivalent as long as no struct member is an
    unpacked array, which holds here because every register array of the map lives inside
    the external settings regfile (checked: raises otherwise)."""
    depth = 0
    for line in text.splitlines():
        code = line.split("//")[0]
        if re.search(r"\bstruct\s*\{", code):
            depth += 1
            continue
        if depth and _UNPACKED_DIM.search(code):
            raise ValueError(f"regblock struct has an unpacked array member, cannot pack: {line.strip()!r}")
        if depth and code.strip().startswith("}"):
            depth -= 1
    return re.sub(r"\bstruct\s*\{", "struct packed {", text)


def _wrap_header(text: str, hdr: str, style: str) -> str:
    if style == "md":
        return "<!--\n" + hdr + "-->\n\n" + text
    return hdr + "\n" + text


def _vlt_waivers(regblock_file: str) -> str:
    """Verilator waivers for the peakrdl-regblock module file alone (each matched narrowly).

    * WIDTHEXPAND on the saturating counter's overflow compare ``(N+1)'(next) + 1 > MAX``
      (BUS_ERR_COUNT): the N-bit constant is zero-extended, which is what is meant.
    * UNUSEDSIGNAL on the decode strobes of read-only registers (with external blocks in
      the map, readback decodes the held address ``rd_mux_addr`` instead of the strobes,
      so only writes use them); ``is_valid_rw`` in a map without an external regfile
      (declared, never read); and the read-back retiming's split address (``ad_low`` /
      ``ad_hi`` take the whole address and use half of it, ``readback_addr_rt`` keeps
      only the high half).
    """
    f = f"*{regblock_file}"
    unused = ["Bits of signal are not used: 'decoded_reg_strb'*", "Signal is not used: 'is_valid_rw'",
              "Bits of function variable are not used: 'addr'*",
              "Bits of signal are not used: 'readback_addr_rt'*"]
    return "\n".join([
        "`verilator_config",
        f'lint_off -rule WIDTHEXPAND -file "{f}" -match "*Operator GT expects * bits on the RHS, but RHS\'s CONST*"',
        *(f'lint_off -rule UNUSEDSIGNAL -file "{f}" -match "*{u}*"' for u in unused),
        "",
    ])


def made_from_of(net: Network) -> list[str]:
    src = str(net.source) if net.source else "(in-memory description)"
    return [f"{src} (build ID {net.build_id:016x})"]


def wrapper_text(m: RegisterMap, made_from: list[str]) -> str:
    return render("regs_top.sv.mako", m=m, clog2=clog2,
                  header=header(GENERATOR, "regs_top.sv.mako", made_from))


def generate(net: Network, out_dir: str | Path, *, docs: bool = True) -> dict[str, Path]:
    """Write the register map of *net* into *out_dir*; returns {kind: path}.

    Kinds: ``rdl``, ``regblock``, ``regblock_pkg``, ``top``, ``vlt``, ``cheader``, ``markdown``.
    RTL to compile, in order: :func:`rtl_sources` of the result.
    """
    from peakrdl_regblock import RegblockExporter
    from peakrdl_regblock.cpuif.passthrough import PassthroughCpuif

    out_dir = Path(out_dir)
    m = build_map(net)
    made_from = made_from_of(net)
    name = m.net_name
    out: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="sf_regmap_") as tmp:
        tmp = Path(tmp)
        rdl_name = f"{name}_regmap.rdl"
        rdl = rdl_text(m, made_from)
        (tmp / rdl_name).write_text(rdl)
        top = compile_rdl(tmp / rdl_name)
        check_compiled(m, top)
        rb = m.regblock_module
        RegblockExporter().export(
            top, str(tmp / "rb"), cpuif_cls=PassthroughCpuif, module_name=rb,
            package_name=f"{rb}_pkg", address_width=m.addr_width, err_if_bad_addr=True,
            default_reset_activelow=True, default_reset_async=True,
            # Timing (ECP5 at 100 MHz): a flop inside the read-back mux and one after it,
            # and the requests to the two external blocks (settings, weights) leave the
            # regblock from flops.  Register reads stay at one per clock.
            retime_read_fanin=True, retime_read_response=True,
            retime_external_regfile=True, retime_external_addrmap=True)
        hdr_rb = header(f"{GENERATOR} via peakrdl-regblock", rdl_name, made_from)
        files = {
            "rdl": (rdl_name, rdl),
            "regblock_pkg": (f"{rb}_pkg.sv", _wrap_header(pack_structs((tmp / "rb" / f"{rb}_pkg.sv").read_text()),
                                                          hdr_rb, "sv")),
            "regblock": (f"{rb}.sv", _wrap_header(pack_structs((tmp / "rb" / f"{rb}.sv").read_text()), hdr_rb, "sv")),
            "top": (f"{m.top_module}.sv", wrapper_text(m, made_from)),
            "vlt": (f"{rb}.vlt", _wrap_header(_vlt_waivers(f"{rb}.sv"), header(GENERATOR, "(none)", made_from),
                                              "sv")),
        }
        if docs:
            from peakrdl_cheader.exporter import CHeaderExporter
            from peakrdl_markdown import MarkdownExporter

            h_name, md_name = f"{m.top_module}.h", f"{m.top_module}.md"
            CHeaderExporter().export(top, str(tmp / h_name), generate_bitfields=False)
            MarkdownExporter().export(top, str(tmp / md_name), input_files=[rdl_name])
            files["cheader"] = (h_name, _wrap_header(
                (tmp / h_name).read_text(), header(f"{GENERATOR} via peakrdl-cheader", rdl_name, made_from),
                "c"))
            files["markdown"] = (md_name, _wrap_header(
                _memory_notes(m) + (tmp / md_name).read_text(),
                header(f"{GENERATOR} via peakrdl-markdown", rdl_name, made_from), "md"))
    for kind, (fname, text) in files.items():
        path = out_dir / fname
        # Unchanged files keep their timestamps, so simulation build caches stay valid.
        if not (path.is_file() and path.read_text() == text):
            write_text(path, text)
        out[kind] = path
    return out


#: rtl/ library modules the register-map top instantiates (not in :func:`rtl_sources`).
LIBRARY = ["sf_fifo.sv", "sf_axil_cpuif.sv", "sf_weight_mem.sv"]


def library_sources() -> list[Path]:
    """The :data:`LIBRARY` modules, as paths, in compile order."""
    return [RTL_DIR / n for n in LIBRARY]


def rtl_sources(files: dict[str, Path]) -> list[Path]:
    """Compile order of the generated RTL (the :data:`LIBRARY` modules not included)."""
    return [files["regblock_pkg"], files["regblock"], files["top"]]


def _memory_notes(m: RegisterMap) -> str:
    lines = [
        f"# {m.net_name}: host register map",
        "",
        f"AXI4-Lite, 32-bit data, {m.addr_width}-bit byte addresses ({m.size:#x} bytes used). "
        f"Build ID `{m.build_id:016x}`.",
        "",
        "Unmapped addresses answer SLVERR (writes ignored, reads 0) and set ERR.bus_err. "
        "The host reads and writes the SHADOW bank; CTRL.commit swaps banks at the next frame "
        "boundary (the former active set becomes the shadow: load a complete weight set before "
        "every commit, and do not write while CTRL.commit reads 1).",
        "",
        "The weight and bias memories lie back to back in the weights window (every word of it is "
        "a value). Memories and alpha arrays hold one value per 32-bit word (word i at base + 4*i); weights "
        "are the row-major flattening of their shape. A write keeps the low `width` bits (signed "
        "values are trimmed, not saturated); a read returns the stored value sign-extended. Alpha "
        "words saturate at 2^alpha_bits; REPEATS is clamped to [1, max_repeats].",
        "",
        "| region | kind | base | count | width | signed | shape |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in sorted(m.regions.values(), key=lambda r: r.base):
        lines.append(f"| {r.name} | {r.kind} | {r.base:#06x} | {r.count} | {r.value_width} | "
                     f"{'yes' if r.signed else 'no'} | {r.shape} |")
    return "\n".join(lines) + "\n\n"
