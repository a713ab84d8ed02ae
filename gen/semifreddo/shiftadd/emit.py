"""Render an :class:`~.graph.AdderGraph` and its :class:`~.graph.Schedule` as SystemVerilog.

The module (template ``templates/shiftadd.sv.mako``) has the ports::

    input  logic                  clk_i
    input  logic [N_IN*B-1:0]     x_i    // element j at [j*B +: B], B-bit (un)signed
    output logic [N_OUT*YW-1:0]   y_o    // row r at [r*YW +: YW], YW-bit two's complement

``y_o`` follows ``x_i`` by ``Latency`` cycles (localparam, also
:attr:`GeneratedModule.latency`); a new vector may enter every cycle.  Datapath registers
have no reset and no enable.

Fanout (*max_fanout* = F > 0): the inputs are registered inside the module (one more cycle
of latency), and every register, input or pipeline, that more than F adders or registers
read is duplicated, each copy (``<name>_f<k>``) feeding at most F of them.  A CMVM graph
reads one input from shared adders all over the layer; without copies the routing from
that one register, not the adders, sets the clock (docs/architecture.md).  Duplicated
registers sit in a ``(* keep *)`` block so that synthesis does not merge them again.  Every adder is one ``assign`` to a ``(* keep *)`` wire
(see :data:`KEEP`) of a 2-input ``+``/``-`` on
operands explicitly zero-/sign-extended (or truncated: arithmetic is modulo the result
width, which the exact value range makes lossless) to the adder's width.  All widths and
expressions are computed here; the template only lays them out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
from mako.template import Template

from .. import __version__
from .build import Strategy, as_weight_matrix, build
from .graph import AdderGraph, Operand, Schedule, range_width

TEMPLATE = "shiftadd.sv.mako"

#: Attribute on every adder's wire.  Without it yosys (alumacc) merges chains of
#: single-fanout adders into one multi-operand ``$macc``, which maps to a LUT carry-save
#: tree: measured on 2 rows of the 16x144 reference layer, 1.19 LUT sites per adder bit
#: with 3 levels per stage and 1.37 unpipelined, against 0.98 (carry chains only) with it.
KEEP = "(* keep *) "


@dataclass(frozen=True)
class GeneratedModule:
    """A generated shift-add module and what a wrapper needs to instantiate it."""

    module: str
    path: Path
    latency: int
    out_width: int
    n_in: int
    n_out: int
    in_bits: int
    in_signed: bool
    weights_sha256: str
    graph: AdderGraph = field(repr=False)
    schedule: Schedule = field(repr=False)


def weights_digest(W: np.ndarray) -> str:
    """SHA-256 of ``"<rows>x<cols>:"`` followed by *W* as little-endian int64, row-major."""
    W = as_weight_matrix(W)
    head = f"{W.shape[0]}x{W.shape[1]}:".encode()
    return hashlib.sha256(head + np.ascontiguousarray(W, dtype="<i8").tobytes()).hexdigest()


def out_width(graph: AdderGraph) -> int:
    """Common two's complement width of all outputs (at least 2 bits)."""
    widths = [range_width(min(lo, -1), hi)[0]
              for lo, hi in (graph.output_range(r) for r in range(graph.n_out))]
    return max(widths, default=2)


def generate(W: np.ndarray, *, name: str, in_bits: int, in_signed: bool, out_dir: Path,
             strategy: Strategy = "cmvm", max_levels_per_stage: int = 3, max_fanout: int = 0,
             depth_slack: int | None = None, layer: str | None = None) -> GeneratedModule:
    """Build, verify, pipeline and write ``<out_dir>/<name>.sv`` for ``y = W @ x``.

    *depth_slack*: see :func:`~.build.build`; *max_fanout*: see the module docstring (0:
    inputs not registered, no copies); *layer* names the source in the header.
    """
    W = as_weight_matrix(W)
    graph = build(W, in_bits, in_signed, strategy, depth_slack=depth_slack)
    schedule = graph.pipeline(max_levels_per_stage)
    digest = weights_digest(W)
    text = render(graph, schedule, name, source=f"layer {layer or name}, W {W.shape[0]}x{W.shape[1]} "
                  f"sha256 {digest}", strategy=strategy, max_fanout=max_fanout)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.sv"
    if not path.exists() or path.read_text() != text:  # keep mtimes stable for build caches
        path.write_text(text)
    latency = schedule.latency + (1 if max_fanout else 0)
    return GeneratedModule(name, path, latency, out_width(graph), graph.n_in, graph.n_out,
                           in_bits, in_signed, digest, graph, schedule)


class _Namer:
    """Signal names, widths, per-signal highest bit read (for lint waivers) and, with a
    fanout limit, which copy of a register each reader gets."""

    def __init__(self, graph: AdderGraph, max_fanout: int = 0) -> None:
        self.graph = graph
        self.max_fanout = max_fanout
        self.used_msb: dict[str, int] = {}
        self.reads: dict[str, int] = {}     # register -> readers handed out so far

    def name(self, node: int, delay: int = 0) -> str:
        base = f"x{node}" if self.graph.is_input(node) else f"n{node}"
        return base if delay == 0 else f"{base}_q{delay}"

    def is_register(self, node: int, delay: int) -> bool:
        return delay > 0 or (self.graph.is_input(node) and self.max_fanout > 0)

    def copy(self, node: int, delay: int) -> str:
        """The signal one more reader of *node* (*delay* registers late) reads: with a
        fanout limit F, readers 0..F-1 of a register get copy 0, the next F copy 1, ..."""
        sig = self.name(node, delay)
        if not self.max_fanout or not self.is_register(node, delay):
            return sig
        k = self.reads.get(sig, 0)
        self.reads[sig] = k + 1
        return copy_name(sig, k // self.max_fanout)

    def copies(self, node: int, delay: int) -> int:
        """Copies of a register after all its readers were handed out (at least 1)."""
        if not self.max_fanout:
            return 1
        return max(1, -(-self.reads.get(self.name(node, delay), 0) // self.max_fanout))

    def read(self, signal: str, msb: int) -> None:
        self.used_msb[signal] = max(self.used_msb.get(signal, -1), msb)

    def operand(self, node: int, delay: int, shift: int, width: int) -> str:
        """``node << shift`` read *delay* registers late, fitted to *width* bits."""
        sig, w = self.copy(node, delay), self.graph.width(node)
        keep = min(w, width - shift)
        if keep <= 0:
            # Shifted past the result: 0 modulo 2^width, and the exact range of the result
            # makes modulo arithmetic lossless.  Seen with 1-bit inputs (bit-serial digits),
            # where an adder whose terms cancel can be narrower than its operand's shift.
            return f"{width}'d0"
        self.read(sig, keep - 1)
        parts = [sig if keep == w else f"{sig}[{keep - 1}:0]" if keep > 1 else f"{sig}[0]"]
        pad = width - shift - keep
        if pad:
            fill = f"{sig}[{w - 1}]" if self.graph.is_signed(node) else "1'b0"
            parts.insert(0, fill if pad == 1 else f"{{{pad}{{{fill}}}}}")
        if shift:
            parts.append(f"{shift}'b0")
        return parts[0] if len(parts) == 1 else "{" + ", ".join(parts) + "}"


def copy_name(signal: str, k: int) -> str:
    return signal if k == 0 else f"{signal}_f{k}"


def _adder_expr(namer: _Namer, schedule: Schedule, node: int) -> str:
    adder = namer.graph.nodes[node]
    assert adder is not None
    width, stage = namer.graph.width(node), schedule.stage[node]

    def fit(op: Operand) -> str:
        return namer.operand(op.node, schedule.read_delay(op.node, stage), op.shift, width)

    first = f"{width}'d0" if adder.a is None else fit(adder.a)
    return f"{first} {'-' if adder.b.negate else '+'} {fit(adder.b)}"


def _sections(namer: _Namer, schedule: Schedule) -> list[dict]:
    """Section 0: the inputs; section ``s``: the adders of stage ``s``.

    Each section also declares the registers of its own values (:func:`_add_registers`),
    so every signal is declared before anything reads it.
    """
    graph = namer.graph
    inputs = [] if namer.max_fanout else [
        {"name": namer.name(j), "width": graph.in_bits, "expr": _input_slice(graph, j)}
        for j in range(graph.n_in)]
    sections = [{"title": "Inputs", "signals": inputs, "registers": []}]
    sections += [{"title": f"Stage {s}", "signals": [], "registers": []}
                 for s in range(1, schedule.latency + 1)]
    for n in graph.adder_nodes():
        sections[schedule.stage[n]]["signals"].append(
            {"name": namer.name(n), "width": graph.width(n), "expr": _adder_expr(namer, schedule, n),
             "attr": KEEP, "comment": f"level {graph.level(n)}, range {list(graph.value_range(n))}"})
    return sections


def _input_slice(graph: AdderGraph, j: int) -> str:
    return f"x_i[{(j + 1) * graph.in_bits - 1}:{j * graph.in_bits}]"


def _outputs(namer: _Namer, schedule: Schedule, yw: int) -> list[dict]:
    """One ``assign`` per output row, read from its register after the last stage."""
    outputs = []
    for row, out in enumerate(namer.graph.outputs):
        lhs = f"y_o[{(row + 1) * yw - 1}:{row * yw}]"
        if out is None:
            outputs.append({"lhs": lhs, "expr": f"{yw}'d0"})
        else:
            delay = schedule.latency + 1 - schedule.stage[out.node]
            outputs.append({"lhs": lhs, "expr": namer.operand(out.node, delay, out.shift, yw)})
    return outputs


def _add_registers(namer: _Namer, schedule: Schedule, sections: list[dict]) -> list[dict]:
    """Append every node's register chain (and, with a fanout limit, the input registers
    and all copies) to its section; return all registers in order.

    A chain is walked from its end: a register's copies are known once all its readers
    are, and each copy is one more reader of the register before it."""
    graph = namer.graph
    for n, depth in enumerate(schedule.delays):
        section = sections[0 if graph.is_input(n) else schedule.stage[n]]
        chain = []
        for d in range(depth, 0, -1):
            width = graph.width(n)
            copies = namer.copies(n, d)
            for k in range(copies):
                src = namer.copy(n, d - 1)
                namer.read(src, width - 1)
                chain.append({"name": copy_name(namer.name(n, d), k), "width": width, "src": src,
                              "keep": copies > 1, "order": (d, k)})
        if graph.is_input(n) and namer.max_fanout and namer.reads.get(namer.name(n)):
            copies = namer.copies(n, 0)
            chain += [{"name": copy_name(namer.name(n), k), "width": graph.in_bits, "src": _input_slice(graph, n),
                       "keep": copies > 1, "order": (0, k)} for k in range(copies)]
        section["registers"] += sorted(chain, key=lambda r: r.pop("order"))
    return [r for sec in sections for r in sec["registers"]]


def _header(graph: AdderGraph, schedule: Schedule, yw: int, source: str, strategy: str,
            registers: list[dict], max_fanout: int) -> list[str]:
    copied = [r for r in registers if r["keep"]]
    fanout = ([f"Inputs registered; registers read more than {max_fanout} times are copied: "
               f"{len(copied)} registers, {sum(r['width'] for r in copied)} bits in copies."]
              if max_fanout else [])
    return [
        f"Generated by semifreddo.shiftadd (semifreddo-hw {__version__}). DO NOT EDIT: regenerate.",
        f"Source: {source}",
        f"y = W x, {graph.n_out} outputs of {yw}-bit two's complement, {graph.n_in} inputs of "
        f"{graph.in_bits}-bit {'signed' if graph.in_signed else 'unsigned'}.",
        f"Strategy {strategy}: {graph.adders} adders ({graph.adder_bits} adder bits), depth "
        f"{graph.depth}; {schedule.latency} stage(s) of <= {schedule.max_levels_per_stage} level(s), "
        f"{schedule.register_bits} register bits ({schedule.delay_register_bits} for delay balancing).",
        *fanout,
    ]


def render(graph: AdderGraph, schedule: Schedule, module: str, *, source: str,
           strategy: str, max_fanout: int = 0) -> str:
    """SystemVerilog text of *graph* pipelined by *schedule* (*max_fanout*: see the module
    docstring)."""
    if graph.n_out < 1:
        raise ValueError("a module needs at least one output")
    if max_fanout < 0:
        raise ValueError("max_fanout must be >= 0")
    namer = _Namer(graph, max_fanout)
    yw = out_width(graph)
    sections = _sections(namer, schedule)
    outputs = _outputs(namer, schedule, yw)
    registers = _add_registers(namer, schedule, sections)
    # Only now is every read known: drop unread inputs, flag partly read signals.
    sections[0]["signals"] = [s for s in sections[0]["signals"] if s["name"] in namer.used_msb]
    for sec in sections:
        for sig in sec["signals"] + sec["registers"]:
            sig["unused"] = namer.used_msb.get(sig["name"], -1) < sig["width"] - 1
            sig.setdefault("attr", "")
    ports_unused = set()
    inputs_read = sum(1 for j in range(graph.n_in)
                      if namer.name(j) in namer.used_msb or namer.reads.get(namer.name(j)))
    if inputs_read < graph.n_in:
        ports_unused.add("x_i")
    if not registers:
        ports_unused.add("clk_i")
    template = Template(files("semifreddo").joinpath("templates", TEMPLATE).read_text())
    return template.render(
        header=_header(graph, schedule, yw, source, strategy, registers, max_fanout), module=module,
        n_x=graph.n_in * graph.in_bits, n_y=graph.n_out * yw,
        latency=schedule.latency + (1 if max_fanout else 0), out_width=yw, ports_unused=ports_unused,
        sections=sections, registers=[r for r in registers if not r["keep"]],
        copied_registers=[r for r in registers if r["keep"]], outputs=outputs)
