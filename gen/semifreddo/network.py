"""The whole SemifreddoNet in hardware: frozen core, two trainable cores, boundaries
(blend, shuffle), the repeatable tail, heads and the register slave, as one module.

Logic lives here: :class:`NetworkBuilder` walks the description and produces a netlist
of streams and instances (which block feeds which, FIFO depths, parameters, memory
ports).  ``templates/network_top.sv.mako`` only lays that netlist out.  The structure
follows docs/architecture.md; the arithmetic of every block is docs/arithmetic.md.

Streams are AXI4-Stream bundles ``<name>_t{valid,ready,data,user,last[,bank]}``.  A
stream feeding several consumers goes through ``sf_fork`` (payload ``{[bank,] last,
user, data}``); consumers may take a slice of the data (the tail bundle carries the
frozen and both trainable feature maps side by side).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import RTL_DIR, golden, regmap
from .regmap import clog2, pow2_ceil
from .netdesc import ClassificationHead, ConvSpec, DenseHead, Engine, Network
from .render import header, render
from .fileio import write_text
from .rtlgen import GeneratedDesign, frozen_block, input_range, matrix_range, signed_width
from .weights import ConvWeights

GENERATOR = "semifreddo.network"

#: Library modules of a whole network, in compile order (packages first).
LIBRARY = ["sf_fifo.sv", "sf_mul.sv", "sf_axil_cpuif.sv", "sf_window.sv", "sf_weight_mem.sv", "sf_fork.sv",
           "sf_join.sv", "sf_blend.sv", "sf_shuffle.sv", "sf_repeat.sv", "sf_tconv.sv", "sf_class_head.sv",
           "sf_reset_pipe.sv"]

#: The 4-deep stream slices between blocks (docs/architecture.md, "Timing on ECP5"), one
#: value for all: sf_join's InSlice in every join of a network (the blends', the
#: shuffles' and the tail bundles'), whose inputs come from different blocks, so no ready
#: depends on a valid from across the chip; and the blends' and shuffles' OutSlice, so a
#: consumer's ready reaches only an output FIFO, not the enables of every stage.
STREAM_SLICES = "1'b1"

#: Flops of each reset-tree leaf (``sf_reset_pipe``) between the reset input and a
#: block's (or a SoC part's) asynchronous clears: 2, so the placer can put one hop of
#: the route across the chip into each clock (docs/architecture.md, "Timing on ECP5"),
#: and an asynchronously asserted input is resolved before it reaches a block.
RESET_PIPE_STAGES = 2


@dataclass
class Stream:
    """One AXI4-Stream bundle; ``bank``: it carries a frame tag (trainable streams)."""

    name: str
    width: int
    bank: bool

    def sig(self, s: str) -> str:
        return f"{self.name}_t{s}"


@dataclass
class Inst:
    module: str
    name: str
    comment: str
    params: list[tuple[str, str]] = field(default_factory=list)
    ports: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Netlist:
    streams: list[Stream] = field(default_factory=list)
    wires: list[tuple[str, int]] = field(default_factory=list)      # extra logic [w-1:0] name
    insts: list[Inst] = field(default_factory=list)
    assigns: list[tuple[str, str]] = field(default_factory=list)    # assign lhs = rhs
    errors: list[str] = field(default_factory=list)                 # frame_err_o sources
    unused: list[str] = field(default_factory=list)                 # expressions nobody reads


def stream_ports(prefix: str, s: Stream, *, bank: bool | None = None) -> list[tuple[str, str]]:
    """Port connections of a stream port named *prefix* (``s_axis``...) to stream *s*."""
    use_bank = s.bank if bank is None else bank
    ports = [(f"{prefix}_tvalid", s.sig("valid")), (f"{prefix}_tready", s.sig("ready")),
             (f"{prefix}_tdata", s.sig("data")), (f"{prefix}_tuser", s.sig("user")),
             (f"{prefix}_tlast", s.sig("last"))]
    if use_bank:
        ports.append((f"{prefix}_tbank", s.sig("bank")))
    return ports


def sv_hex(value: int, width: int) -> str:
    return f"{width}'h{value:x}"


class NetworkBuilder:
    """Builds the netlist of *net*'s top module (see the module docstring)."""

    def __init__(self, net: Network, regs: regmap.RegisterMap, frozen_modules: list[str | None]):
        self.net = net
        self.m = regs
        self.frozen_modules = frozen_modules
        self.nl = Netlist()
        self.rd_ports: list[tuple[str, str]] = []   # regs memory read ports
        self.outputs: list[dict] = []               # top-level result streams

    # -- primitives -------------------------------------------------------------------
    def stream(self, name: str, width: int, bank: bool) -> Stream:
        s = Stream(name, width, bank)
        self.nl.streams.append(s)
        return s

    def fork(self, src: Stream, consumers: list[tuple[Stream, int]], depth: int, name: str) -> None:
        """*src* to every consumer stream; consumer ``(s, lo)`` takes data bits
        ``[lo +: s.width]`` (and the tag if it has one)."""
        n = len(consumers)
        pw = src.width + 2 + int(src.bank)
        payload = "{" + ", ".join(([src.sig("bank")] if src.bank else [])
                                  + [src.sig("last"), src.sig("user"), src.sig("data")]) + "}"
        self.nl.wires += [(f"{name}_tvalid", n), (f"{name}_tready", n), (f"{name}_tdata", n * pw)]
        self.nl.insts.append(Inst("sf_fork", f"u_{name}", f"{src.name} to {n} consumers",
                                  [("N", str(n)), ("Width", str(pw)), ("Depth", str(depth))],
                                  [("s_axis_tvalid", src.sig("valid")), ("s_axis_tready", src.sig("ready")),
                                   ("s_axis_tdata", payload), ("m_axis_tvalid", f"{name}_tvalid"),
                                   ("m_axis_tready", f"{name}_tready"), ("m_axis_tdata", f"{name}_tdata")]))
        for i, (s, lo) in enumerate(consumers):
            base = i * pw
            a = self.nl.assigns
            a.append((s.sig("valid"), f"{name}_tvalid[{i}]"))
            a.append((f"{name}_tready[{i}]", s.sig("ready")))
            a.append((s.sig("data"), f"{name}_tdata[{base + lo} +: {s.width}]"))
            a.append((s.sig("user"), f"{name}_tdata[{base + src.width}]"))
            a.append((s.sig("last"), f"{name}_tdata[{base + src.width + 1}]"))
            if s.bank:
                assert src.bank, f"{s.name} needs a frame tag, {src.name} has none"
                a.append((s.sig("bank"), f"{name}_tdata[{base + src.width + 2}]"))
            elif src.bank:
                self.nl.unused.append(f"{name}_tdata[{base + src.width + 2}]")
            if lo > 0:
                self.nl.unused.append(f"{name}_tdata[{base} +: {lo}]")
            if lo + s.width < src.width:
                self.nl.unused.append(f"{name}_tdata[{base + lo + s.width} +: {src.width - lo - s.width}]")

    def join(self, s0: Stream, s1: Stream, out: Stream, name: str, bank_sel: int, check: bool) -> None:
        err = f"{name}_err"
        self.nl.wires.append((err, 1))
        self.nl.errors.append(err)
        p0 = stream_ports("s0_axis", s0, bank=True)
        p1 = stream_ports("s1_axis", s1, bank=True)
        # A stream without a tag joins with a constant tag (the join forwards BankSel's).
        for ports, s in ((p0, s0), (p1, s1)):
            if not s.bank:
                ports[-1] = (ports[-1][0], "1'b0")
        self.nl.insts.append(Inst("sf_join", f"u_{name}", f"{{{s1.name}, {s0.name}}}",
                                  [("Width0", str(s0.width)), ("Width1", str(s1.width)),
                                   ("BankSel", str(bank_sel)), ("BankCheck", "1'b1" if check else "1'b0"),
                                   ("InSlice", STREAM_SLICES)],
                                  p0 + p1 + stream_ports("m_axis", out) + [("frame_err_o", err)]))

    def memory_port(self, region: str, prefix: str, inst_ports: list[tuple[str, str]]) -> None:
        """Connect an engine's ``<prefix>_rd_*`` read port to memory *region* of the regs."""
        r = self.m.memories[region]
        lanes = self.m.lanes.get(region, 1)
        entries = -(-r.count // lanes)
        ew = max(1, clog2(entries))
        wires = [(f"{region}_rd_en", 1), (f"{region}_rd_bank", 1), (f"{region}_rd_addr", ew),
                 (f"{region}_rd_data", lanes * r.value_width)]
        self.nl.wires += wires
        for suffix in ("en", "bank", "addr"):
            inst_ports.append((f"{prefix}_rd_{suffix}_o", f"{region}_rd_{suffix}"))
            self.rd_ports.append((f"{region}_rd_{suffix}_i", f"{region}_rd_{suffix}"))
        inst_ports.append((f"{prefix}_rd_data_i", f"{region}_rd_data"))
        self.rd_ports.append((f"{region}_rd_data_o", f"{region}_rd_data"))

    # -- blocks -----------------------------------------------------------------------
    def frozen(self, n: int, src: Stream) -> Stream:
        spec = self.net.frozen[n]
        out = self.stream(f"f{n}", spec.out_channels * spec.out_bits, bank=False)
        err = f"f{n}_err"
        self.nl.wires.append((err, 1))
        self.nl.errors.append(err)
        self.nl.insts.append(Inst(self.frozen_modules[n], f"u_frozen_b{n}",
                                  f"frozen block {n}: {spec.kernel}x{spec.kernel}/{spec.stride}, "
                                  f"{spec.in_channels} -> {spec.out_channels}, shift-add",
                                  [], stream_ports("s_axis", src, bank=False) + stream_ports("m_axis", out)
                                  + [("frame_err_o", err)]))
        return out

    def tconv(self, spec: ConvSpec, eng: Engine, src: Stream, out_name: str, inst: str, region: str,
              comment: str) -> Stream:
        out = self.stream(out_name, spec.out_channels * spec.out_bits, bank=True)
        err = f"{out_name}_err"
        self.nl.wires.append((err, 1))
        self.nl.errors.append(err)
        mult = 0
        for c, m in enumerate(spec.requant.mult):
            mult |= (int(m) & 0xFFFF) << (16 * c)
        params = [("Width", spec.in_width), ("Height", spec.in_height), ("Cin", spec.in_channels),
                  ("Cout", spec.out_channels), ("Kernel", spec.kernel), ("Stride", spec.stride),
                  ("InBits", spec.in_bits), ("InSigned", "1'b1" if spec.in_signed else "1'b0"),
                  ("WeightBits", spec.weight_bits), ("BiasBits", spec.bias_bits), ("OutBits", spec.out_bits),
                  ("Relu", "1'b1" if spec.activation == "relu" else "1'b0"), ("Shift", spec.requant.shift),
                  ("Mult", sv_hex(mult, 16 * spec.out_channels)), ("Groups", eng.groups),
                  ("Fold", eng.fold)]
        ports = stream_ports("s_axis", src) + stream_ports("m_axis", out) + [("frame_err_o", err)]
        self.memory_port(f"{region}_weight", "w", ports)
        self.memory_port(f"{region}_bias", "b", ports)
        self.nl.insts.append(Inst("sf_tconv", inst, comment, [(k, str(v)) for k, v in params], ports))
        return out

    def trainable(self, core: str, n: int, src: Stream) -> Stream:
        spec = self.net.core(core).blocks[n]
        eng = self.net.engine(n, spec)
        return self.tconv(spec, eng, src, f"t{core}{n}", f"u_{core}_b{n}", f"{core}_blk{n}",
                          f"core {core} block {n}: {spec.kernel}x{spec.kernel}/{spec.stride}, "
                          f"{spec.in_channels} -> {spec.out_channels}, {eng.groups} channel(s) x "
                          f"{eng.taps_per_op} taps per clock, {eng.ops} clock(s) per pixel")

    def blend(self, core: str, n: int, f: Stream, t: Stream) -> Stream:
        c = self.net.core(core)
        spec = c.blocks[n]
        ab = self.net.alpha_bits
        ct = spec.in_channels
        out = self.stream(f"z{core}{n}", ct * spec.in_bits, bank=True)
        bmap = 0
        for i, fc in enumerate(c.blend_maps[n]):
            bmap |= fc << (32 * i)
        fch = self.net.frozen[n - 1].out_channels
        alpha = f"{core}_blk{n}_alpha"
        half = ct * (ab + 1)
        err = f"z{core}{n}_err"
        self.nl.wires += [(alpha, 2 * half), (err, 1)]
        self.nl.errors.append(err)
        self.nl.insts.append(Inst(
            "sf_blend", f"u_{core}_blend{n}", f"core {core}: blend into block {n} (alpha per channel)",
            [("Cf", str(fch)), ("Ct", str(ct)), ("Bits", str(spec.in_bits)),
             ("Signed", "1'b1" if spec.in_signed else "1'b0"), ("AlphaBits", str(ab)),
             ("BlendMap", sv_hex(bmap, 32 * ct)), ("InSlice", STREAM_SLICES), ("OutSlice", STREAM_SLICES)],
            stream_ports("s0_axis", f, bank=False) + stream_ports("s1_axis", t) + stream_ports("m_axis", out)
            + [("alpha0_i", f"{alpha}[{half - 1}:0]"), ("alpha1_i", f"{alpha}[{2 * half - 1}:{half}]"),
               ("frame_err_o", err)]))
        return out

    def shuffle(self, n: int, za: Stream, zb: Stream) -> tuple[Stream, Stream]:
        ya = self.stream(f"ya{n}", za.width, bank=True)
        yb = self.stream(f"yb{n}", zb.width, bank=True)
        a, b = (c.blocks[n] for c in self.net.cores)
        err = f"shuffle{n}_err"
        self.nl.wires.append((err, 1))
        self.nl.errors.append(err)
        self.nl.insts.append(Inst(
            "sf_shuffle", f"u_shuffle{n}", f"core shuffle into block {n}: first {self.net.shuffle.channels} channels",
            [("Ca", str(a.in_channels)), ("Cb", str(b.in_channels)), ("Bits", str(a.in_bits)),
             ("S", str(self.net.shuffle.channels)), ("InSlice", STREAM_SLICES), ("OutSlice", STREAM_SLICES)],
            stream_ports("s0_axis", za) + stream_ports("s1_axis", zb) + stream_ports("m0_axis", ya)
            + stream_ports("m1_axis", yb) + [("shuffle0_i", "shuffle[0]"), ("shuffle1_i", "shuffle[1]"),
                                             ("frame_err_o", err)]))
        return ya, yb

    def skew_depth(self, n: int) -> int:
        """Depth of the FIFOs that hold block *n*'s frozen output until the trainable
        outputs of the same pixels arrive (same window look-ahead; the trainable path has
        the longer datapath and, when it time-shares, a smoothing FIFO)."""
        smooth = 0
        for c in self.net.cores:
            spec = c.blocks[n]
            w = spec.in_width
            if spec.stride == 2 or self.net.engine(n, spec).ops > 1:
                smooth = max(smooth, pow2_ceil(w // 4 + 8))
        return pow2_ceil(smooth + 64)

    # -- the network ------------------------------------------------------------------
    def boundary(self, n: int, f: Stream, t: dict[str, Stream], f_next: bool) -> tuple[Stream | None, dict[str, Stream]]:
        """Blocks *n* of every core from the outputs of block n-1 (f, t)."""
        net = self.net
        names = [c.name for c in net.cores]
        targets: list[tuple[Stream, int]] = []
        f_in = None
        if f_next:
            f_in = self.stream(f"fi{n}", f.width, bank=False)
            targets.append((f_in, 0))
        f_for = {}
        for k in names:
            f_for[k] = self.stream(f"f{n - 1}_to_{k}", f.width, bank=False)
            targets.append((f_for[k], 0))
        self.fork(f, targets, self.skew_depth(n - 1), f"fork_f{n - 1}")
        z = {k: self.blend(k, n, f_for[k], t[k]) for k in names}
        if net.shuffle and (n - 1) in net.shuffle.after_blocks:
            z[names[0]], z[names[1]] = self.shuffle(n, z[names[0]], z[names[1]])
        f_out = self.frozen(n, f_in) if f_in is not None else None
        return f_out, {k: self.trainable(k, n, z[k]) for k in names}

    def build(self) -> Netlist:
        net = self.net
        names = [c.name for c in net.cores]
        nblk = net.num_blocks
        r0 = net.repeat.first_block if net.repeat else nblk
        img = self.stream("img", net.input_channels * net.input_bits, bank=True)

        # Block 0: the image to every core.
        fi0 = self.stream("fi0", img.width, bank=False)
        ti0 = {k: self.stream(f"ti{k}0", img.width, bank=True) for k in names}
        self.fork(img, [(fi0, 0)] + [(ti0[k], 0) for k in names], 8, "fork_img")
        # Without a repeatable tail nothing reads the last frozen block's output: not built.
        f = self.frozen(0, fi0) if (nblk > 1 or net.repeat) else None
        if f is None:
            self.nl.assigns.append((fi0.sig("ready"), "1'b1"))
            self.nl.unused += [fi0.sig("valid"), fi0.sig("data"), fi0.sig("user"), fi0.sig("last")]
        t = {k: self.trainable(k, 0, ti0[k]) for k in names}

        for n in range(1, r0):
            f, t = self.boundary(n, f, t, f_next=(n < nblk - 1 or bool(net.repeat)))

        if net.repeat:
            t = self.tail(r0, f, t)
        elif f is not None:
            self.nl.assigns.append((f.sig("ready"), "1'b1"))
            self.nl.unused += [f.sig("valid"), f.sig("data"), f.sig("user"), f.sig("last")]
        for k in names:
            self.head(k, t[k])
        return self.nl

    def bundle(self, f: Stream, t: dict[str, Stream], name: str, n: int) -> Stream:
        """{t_b, t_a, f} pixel by pixel (the tail's view of all three cores) from the
        outputs of block *n*.  The frozen and core-a streams wait in skew FIFOs for the
        slower trainable outputs of the same pixels (see :meth:`skew_depth`)."""
        a, b = (c.name for c in self.net.cores)
        depth = self.skew_depth(n)
        fq = self.stream(f"{name}_f", f.width, bank=False)
        self.fork(f, [(fq, 0)], depth, f"{name}_fifo_f")
        aq = self.stream(f"{name}_{a}", t[a].width, bank=True)
        self.fork(t[a], [(aq, 0)], depth, f"{name}_fifo_{a}")
        fa = self.stream(f"{name}_fa", f.width + t[a].width, bank=True)
        self.join(fq, aq, fa, f"{name}_join_a", bank_sel=1, check=False)
        out = self.stream(name, fa.width + t[b].width, bank=True)
        self.join(fa, t[b], out, f"{name}_join_b", bank_sel=0, check=True)
        return out

    def tail(self, r0: int, f: Stream, t: dict[str, Stream]) -> dict[str, Stream]:
        net = self.net
        a, b = (c.name for c in net.cores)
        nblk = net.num_blocks
        front = self.bundle(f, t, "tail_front", r0 - 1)
        into = self.stream("tail_in", front.width, bank=True)
        final = self.stream("tail_out", front.width, bank=True)
        # Tail entry: split the bundle back into frozen and trainable streams.
        fw, aw = f.width, t[a].width
        f_in = self.stream(f"fi{r0}", fw, bank=False)
        f_for = {k: self.stream(f"f{r0 - 1}_to_{k}", fw, bank=False) for k in (a, b)}
        t_prev = {a: self.stream(f"tp{a}{r0 - 1}", aw, bank=True),
                  b: self.stream(f"tp{b}{r0 - 1}", t[b].width, bank=True)}
        self.fork(into, [(f_in, 0), (f_for[a], 0), (t_prev[a], fw), (f_for[b], 0), (t_prev[b], fw + aw)],
                  self.skew_depth(r0), "fork_tail")
        z = {k: self.blend(k, r0, f_for[k], t_prev[k]) for k in (a, b)}
        if net.shuffle and (r0 - 1) in net.shuffle.after_blocks:
            z[a], z[b] = self.shuffle(r0, z[a], z[b])
        fo = self.frozen(r0, f_in)
        to = {k: self.trainable(k, r0, z[k]) for k in (a, b)}
        for n in range(r0 + 1, nblk):
            fo, to = self.boundary(n, fo, to, f_next=True)
        back = self.bundle(fo, to, "tail_back", nblk - 1)

        rw = clog2(net.repeat.max_repeats + 1)
        pixels = net.frozen[r0].in_width * net.frozen[r0].in_height
        err = "repeat_err"
        self.nl.wires.append((err, 1))
        self.nl.errors.append(err)
        self.nl.insts.append(Inst(
            "sf_repeat", "u_repeat", f"repeatable tail: blocks {r0}..{nblk - 1}, R = 1..{net.repeat.max_repeats}",
            [("Width", str(net.frozen[r0].in_width)), ("Height", str(net.frozen[r0].in_height)),
             ("DataWidth", str(front.width)), ("MaxRepeats", str(net.repeat.max_repeats)),
             ("BufDepth", str(pow2_ceil(pixels)))],
            [("repeats0_i", f"repeats[{rw - 1}:0]"), ("repeats1_i", f"repeats[{2 * rw - 1}:{rw}]")]
            + stream_ports("s_axis", front) + stream_ports("m_tail_axis", into)
            + stream_ports("s_tail_axis", back) + stream_ports("m_axis", final) + [("frame_err_o", err)]))
        out = {a: self.stream(f"t{a}_final", aw, bank=True), b: self.stream(f"t{b}_final", t[b].width, bank=True)}
        self.fork(final, [(out[a], fw), (out[b], fw + aw)], 4, "fork_final")
        return out

    def head(self, core: str, t: Stream) -> None:
        net = self.net
        head = net.heads.get(core)
        last = net.core(core).blocks[-1]
        spec = next(o for o in outputs_of(net) if o.core == core)
        if isinstance(head, DenseHead):
            conv = head.conv
            out = self.tconv(conv, net.engine(net.num_blocks - 1, conv), t, f"{core}_dense", f"u_{core}_head", f"{core}_head",
                             f"core {core}: dense head, 1x1, {conv.in_channels} -> {conv.out_channels}")
        elif isinstance(head, ClassificationHead):
            sw = spec.bits
            out = self.stream(f"{core}_scores", sw, bank=False)
            ports = stream_ports("s_axis", t) + stream_ports("m_axis", out)
            self.memory_port(f"{core}_head_weight", "w", ports)
            self.memory_port(f"{core}_head_bias", "b", ports)
            err = f"{core}_head_err"
            self.nl.wires += [(err, 1), (f"{core}_scores_all", head.classes * sw), (f"{core}_scores_valid", 1),
                              (f"{core}_scores_count", 32)]
            self.nl.errors.append(err)
            self.nl.unused += [f"{core}_scores_all", f"{core}_scores_valid", f"{core}_scores_count"]
            ports += [("scores_o", f"{core}_scores_all"), ("scores_valid_o", f"{core}_scores_valid"),
                      ("frame_count_o", f"{core}_scores_count"), ("frame_err_o", err)]
            self.nl.insts.append(Inst(
                "sf_class_head", f"u_{core}_head",
                f"core {core}: classification head, sum pool + FC, {head.classes} classes",
                [("Width", str(last.out_width)), ("Height", str(last.out_height)),
                 ("Channels", str(head.in_channels)), ("InBits", str(head.in_bits)),
                 ("InSigned", "1'b1" if head.in_signed else "1'b0"), ("Classes", str(head.classes)),
                 ("WeightBits", str(head.weight_bits)), ("BiasBits", str(head.bias_bits)),
                 ("ScoreWidth", str(sw)), ("FrameCountWidth", "32")], ports))
        else:
            out = t
        if out.bank:
            self.nl.unused.append(out.sig("bank"))
        self.outputs.append({"spec": spec, "stream": out})


@dataclass(frozen=True)
class OutputSpec:
    """One result stream ``m_<core>_axis`` of the top: what a frame on it looks like."""

    core: str
    kind: str          # "dense", "scores" (classification head) or "features" (no head)
    width: int         # beats per row (1 for scores: one beat per class)
    height: int        # rows per frame (classes for scores)
    elems: int         # values per beat
    bits: int          # bits per value
    signed: bool

    @property
    def port(self) -> str:
        return f"m_{self.core}_axis"

    @property
    def beats(self) -> int:
        return self.width * self.height

    @property
    def data_width(self) -> int:
        return self.elems * self.bits

    def values(self, result: golden.Result) -> np.ndarray:
        """The golden values of one frame, shaped (height, width, elems)."""
        if self.kind == "scores":
            return np.asarray(result.heads[self.core], dtype=np.int64).reshape(self.height, 1, 1)
        arr = result.heads[self.core] if self.kind == "dense" else result.features[self.core]
        return np.asarray(arr, dtype=np.int64)

    def beats_of(self, values: np.ndarray) -> list[tuple[int, int, int]]:
        """``(tdata, tuser, tlast)`` of every beat of a frame of *values* (raster order;
        scores: tuser on class 0, tlast on the last class)."""
        mask = (1 << self.bits) - 1
        out = []
        for y in range(self.height):
            for x in range(self.width):
                word = 0
                for e, v in enumerate(values[y, x]):
                    word |= (int(v) & mask) << (e * self.bits)
                first = y == 0 and x == 0
                last = (y == self.height - 1) if self.kind == "scores" else (x == self.width - 1)
                out.append((word, int(first), int(last)))
        return out

    def decode(self, words: list[int]) -> np.ndarray:
        """Inverse of :meth:`beats_of` for the data words of one frame."""
        mask = (1 << self.bits) - 1
        vals = np.array([[(w >> (e * self.bits)) & mask for e in range(self.elems)] for w in words],
                        dtype=np.int64).reshape(self.height, self.width, self.elems)
        if self.signed:
            vals = np.where(vals >= 1 << (self.bits - 1), vals - (1 << self.bits), vals)
        return vals


def outputs_of(net: Network) -> list[OutputSpec]:
    """The top's result streams, one per trainable core, in ``trainable.cores`` order."""
    outs = []
    for core in net.cores:
        head = net.heads.get(core.name)
        last = core.blocks[-1]
        if isinstance(head, DenseHead):
            s = head.conv
            outs.append(OutputSpec(core.name, "dense", s.out_width, s.out_height, s.out_channels, s.out_bits,
                                   s.out_signed))
        elif isinstance(head, ClassificationHead):
            outs.append(OutputSpec(core.name, "scores", 1, head.classes, 1, score_width(net, head), True))
        else:
            outs.append(OutputSpec(core.name, "features", last.out_width, last.out_height, last.out_channels,
                                   last.out_bits, last.out_signed))
    return outs


def time_sharing(net: Network) -> list[dict]:
    """Multipliers and their use in every configurable convolution (trainable blocks and
    dense heads): a block whose output pixel rate is 1/T of the input rate computes G =
    ceil(Cout/T) output channels per memory entry in F tap phases (Network.engine) on
    G*ceil(K*K*Cin/F) multipliers, each doing useful work Cout*K*K*Cin / (G*ceil(K*K*Cin/F)*T)
    of the time when the input streams one pixel per clock (R = 1; inside a repeated tail
    every pass runs at that rate, so the share is the same)."""
    rows = []
    last = net.num_blocks - 1
    for core in net.cores:
        convs = [(f"{core.name} block {n}", n, s) for n, s in enumerate(core.blocks)]
        head = net.heads.get(core.name)
        if isinstance(head, DenseHead):
            convs.append((f"{core.name} dense head", last, head.conv))
        for name, n, s in convs:
            t = net.rate_divisor(n)
            eng = net.engine(n, s)
            rows.append({"block": name, "rate_divisor_T": t, "out_channels": s.out_channels,
                         "groups_G": eng.groups, "fold_F": eng.fold, "multipliers": eng.multipliers,
                         "cycles_per_output_pixel": eng.ops,
                         "multiplier_busy_fraction": s.out_channels * eng.taps / (eng.multipliers * t),
                         "untimeshared_multipliers": s.out_channels * eng.taps})
    return rows


def score_width(net: Network, head: ClassificationHead) -> int:
    """Bits of an exact class score: bias + weights x sum-pooled features (arithmetic.md 4)."""
    lo, hi = input_range(head.in_bits, head.in_signed)
    wlo, whi = input_range(head.weight_bits, True)
    blo, bhi = input_range(head.bias_bits, True)
    pool_lo, pool_hi = lo * head.pixels, hi * head.pixels
    row = np.array([[wlo] * head.in_channels, [whi] * head.in_channels], dtype=object)
    r_lo, r_hi = matrix_range(row, pool_lo, pool_hi)
    return signed_width(min(r_lo) + blo, max(r_hi) + bhi)


@dataclass
class NetworkDesign(GeneratedDesign):
    outputs: list[dict] = field(default_factory=list)
    regs: regmap.RegisterMap | None = None
    vlt: list[Path] = field(default_factory=list)

    @property
    def sources(self) -> list[Path]:
        return [RTL_DIR / name for name in LIBRARY] + self.files


def generate(net: Network, frozen: list[ConvWeights], out_dir: str | Path) -> NetworkDesign:
    """Generate the whole network of *net* into *out_dir*: frozen blocks, register slave
    and the top module ``<net>_top`` (see docs/architecture.md)."""
    out_dir = Path(out_dir)
    src = str(net.source) if net.source else "(in-memory description)"
    made_from = [f"{src} (build ID {net.build_id:016x})"]
    files: list[Path] = []
    blocks = []
    # Without a repeatable tail nothing reads the last frozen block's output.
    needed = set(range(net.num_blocks if net.repeat else net.num_blocks - 1))
    modules: list[str | None] = []
    for n, (spec, cw) in enumerate(zip(net.frozen, frozen)):
        if n not in needed:
            modules.append(None)
            continue
        blk = frozen_block(spec, cw, f"{net.name}_frozen_b{n}",
                           made_from + [f"frozen block {n} (sha256 {net.frozen_sha256[:16]}...)"],
                           net.adder_levels_per_stage, out_dir, net.register_fanout,
                           net.frozen_digits(n))
        blocks.append(blk)
        modules.append(blk.module)
        files += blk.files
    reg_files = regmap.generate(net, out_dir, docs=True)
    files += regmap.rtl_sources(reg_files)
    m = regmap.build_map(net)
    builder = NetworkBuilder(net, m, modules)
    nl = builder.build()
    top = f"{net.name}_top"
    text = render("network_top.sv.mako", top=top, net=net, m=m, nl=nl, b=builder, outs=outputs_of(net),
                  shuffle="shuffle" in m.registers, repeats="repeats" in m.registers,
                  alphas=[r for r in m.settings if r.array], rw=clog2(net.max_repeats + 1),
                  reset_pipe=RESET_PIPE_STAGES,
                  header=header(GENERATOR, "network_top.sv.mako", made_from))
    path = out_dir / f"{top}.sv"
    write_text(path, text)
    files.append(path)
    report = {"generated_by": GENERATOR, "made_from": made_from, "top": top,
              "time_sharing": time_sharing(net), "frozen_blocks": [blk.report for blk in blocks],
              "outputs": [{"port": o.port, "kind": o.kind, "beats_per_frame": o.beats, "bits": o.data_width}
                          for o in outputs_of(net)]}
    write_text(out_dir / f"{net.name}_network.json", json.dumps(report, indent=2) + "\n")
    return NetworkDesign(top=top, files=files, blocks=blocks, outputs=outputs_of(net), regs=m,
                         vlt=[reg_files["vlt"]])
