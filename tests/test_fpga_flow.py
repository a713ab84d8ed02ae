"""FPGA flow (gen/semifreddo/fpga.py, ``semifreddo fpga``): a small network goes through the
whole open toolchain (ecppll, yosys, nextpnr-ecp5, ecppack) to a ULX3S bitstream.

The flow test is CI-sized (a 16x16 one-channel input, two small frozen blocks, the second
digit-serial and repeatable) and still
takes a few minutes of WebAssembly tools, so it runs once per module and every check reads
its outputs.  Figures (LUTs, fmax, wall time) go to the report, not into asserts.
"""

from __future__ import annotations

import copy
import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from semifreddo import RTL_DIR, cli, fpga, weights
from semifreddo.netdesc import load_description, parse_description, sha256_file
from semifreddo import simulate
from semifreddo.toolchain import lint, tool_env

#: The default board of `make fpga`: the test builds for it.
BOARD = fpga.DEFAULT_BOARD
#: MULT18X18D budget of the flow test: below what the small net needs, so that some of its
#: multipliers go to LUTs (the path of any network that needs more than the device has).
DSP_BUDGET = 10

SMALL = {
    "format": "semifreddo-net/1", "name": "fpgaci",
    "input": {"width": 16, "height": 16, "channels": 1, "bits": 8},
    "frozen": {"weights": "fpgaci.frozen.npz", "sha256": "0" * 64, "blocks": [
        {"kernel": 3, "stride": 2, "out_channels": 2, "weight_bits": 3, "requant": {"shift": 5}},
        {"kernel": 3, "stride": 1, "out_channels": 2, "weight_bits": 3, "requant": {"shift": 5}}]},
    "trainable": {"alpha_bits": 2, "cores": [
        {"name": "a", "blocks": [{"out_channels": 1, "weight_bits": 4, "bias_bits": 8},
                                 {"out_channels": 1, "weight_bits": 4, "bias_bits": 8}]},
        {"name": "b", "blocks": [{"out_channels": 1, "weight_bits": 4, "bias_bits": 8},
                                 {"out_channels": 1, "weight_bits": 4, "bias_bits": 8}]}]},
    # the tail makes the last frozen block get built: after the stride-2 block it takes its
    # input in 2-bit digits (frozen.digit_serial), whose adders yosys maps to LUTs
    "repeat": {"first_block": 1, "max_repeats": 2},
    "heads": {"a": {"type": "classification", "classes": 1}},
}

REPORT_KEYS = {"board", "device", "lut4", "ff", "ccu2c", "mult18", "ebr", "utilisation", "fmax_mhz",
               "target_mhz", "timing_met", "wall_seconds", "breakdown", "modules", "design_top",
               "design_provider", "seed", "seeds_tried", "bitstream", "reset_root", "nextpnr_files"}


def write_small_net(folder: Path, seed: int) -> Path:
    """The small description plus seeded random frozen weights, as files (the CLI's input)."""
    desc = copy.deepcopy(SMALL)
    net = parse_description(copy.deepcopy(desc), verify_weights=False)
    npz = folder / desc["frozen"]["weights"]
    weights.save_npz(npz, weights.frozen_arrays(weights.random_frozen(net, np.random.default_rng(seed))))
    desc["frozen"]["sha256"] = sha256_file(npz)
    path = folder / "fpgaci.yaml"
    path.write_text(yaml.safe_dump(desc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """Run `semifreddo fpga` once on the small net; returns (exit status, out dir, net path)."""
    seed = simulate.test_seed()
    print(f"test_fpga_flow: weight seed {seed} (re-run with SF_SEED={seed})")
    folder = tmp_path_factory.mktemp("fpga")
    net = write_small_net(folder, seed)
    out = folder / "out"
    status = cli.main(["fpga", "--board", BOARD, "--net", str(net), "--out", str(out),
                       "--dsp-budget", str(DSP_BUDGET)])
    report = out / "report.json"
    if report.is_file():
        r = json.loads(report.read_text())
        print(f"test_fpga_flow: {r['design_top']} on {r['board']}: lut4 {r['lut4']} ff {r['ff']} "
              f"ebr {r['ebr']} fmax {r['fmax_mhz']} target {r['target_mhz']} wall {r['wall_seconds']} s")
    return status, out, net


@pytest.mark.slow
def test_bitstream_written(flow):
    status, out, _ = flow
    assert status in (0, 1), f"semifreddo fpga exit {status}"   # 1: built, timing not met
    bit = out / f"{BOARD}.bit"
    data = bit.read_bytes()
    # ECP5 bitstream: the sync word FF FF BD B3 follows ecppack's comment header.
    assert b"\xff\xff\xbd\xb3" in data[:4096], "no ECP5 preamble in the bitstream"
    assert len(data) > 10_000


@pytest.mark.slow
def test_report_complete_and_consistent(flow):
    status, out, net_path = flow
    r = json.loads((out / "report.json").read_text())
    assert REPORT_KEYS <= set(r), f"missing keys {REPORT_KEYS - set(r)}"
    board = fpga.BOARDS[BOARD]
    assert (r["board"], r["device"]) == (board.name, board.device)
    net = load_description(net_path)
    assert r["design_top"] == f"{net.name}_soc"
    assert r["build_id"] == f"{net.build_id:016x}"
    for key in ("lut4", "ff", "ccu2c", "mult18", "ebr"):
        assert isinstance(r[key], int) and r[key] >= 0, key
    assert r["lut4"] > 0 and r["ff"] > 0
    # utilisation: used/available as a percentage, for at least the logic and the FFs
    for res in ("TRELLIS_COMB", "TRELLIS_FF"):
        assert res in r["utilisation"], res
    for res, u in r["utilisation"].items():
        assert 0 <= u["used"] <= u["available"], res
        assert math.isclose(u["percent"], round(100 * u["used"] / u["available"], 2)), res
    assert r["utilisation"]["TRELLIS_FF"]["used"] == r["ff"]
    # timing: one core clock; timing_met agrees with fmax vs. the PLL's frequency
    assert len(r["fmax_mhz"]) == 1
    assert r["timing_met"] == all(f >= r["target_mhz"] for f in r["fmax_mhz"].values())
    assert status == (0 if r["timing_met"] else 1)
    # the slack histogram's count agrees with timing_met; the critical path with fmax
    fail, cp = r["timing_detail"]["failing_endpoints"], r["timing_detail"]["critical_path"]
    assert 0 <= fail["at_least"] <= fail["at_most"], fail
    assert (fail["at_most"] == 0) == r["timing_met"], (fail, r["timing_met"])
    assert math.isclose(cp["ns"], 1000 / r["fmax_mhz"]["clk"], rel_tol=0.01), (cp, r["fmax_mhz"])
    assert 0 < cp["routing_ns"] < cp["ns"], cp
    assert "endpoints with negative slack" in (out / "report.md").read_text()
    # late endpoints (detailed timing report): every one placed in a part; data arriving
    # after the period is negative slack, so the count cannot exceed the histogram's
    late = r["timing_detail"]["late_endpoints"]
    assert 0 < late["endpoints"] and 0 <= late["count"] <= min(fail["at_most"], late["endpoints"]), (late, fail)
    assert sum(late["by_part"].values()) == late["count"] >= sum(b["late"] for b in late["blocks"])
    assert all(b["worst_ns"] > 1000 / r["target_mhz"] for b in late["blocks"]), late["blocks"]
    assert r["seed"] == 1 and [s["seed"] for s in r["seeds_tried"]] == [1]
    assert r["wall_seconds"] > 0
    assert (out / "report.md").read_text().startswith(f"# FPGA build: {net.name} on {BOARD}")


@pytest.mark.slow
def test_reset_root_on_global_net(flow):
    """The board top's reset root (sf_ecp5_gbuf, a DCCA) is routed on a global net to the
    first flops of the reset-tree leaves, not through fabric routing, in the first
    placement: the synchroniser sits on RESET_ROOT_BEL beside the DCC (the CI SoC needed
    the fabric fallback every time before, a second placement of ~3.5 minutes)."""
    _, out, _ = flow
    r = json.loads((out / "report.json").read_text())
    work = out / "work"
    log = (work / r["nextpnr_files"]["log"]).read_text()
    data = json.loads((work / r["nextpnr_files"]["report"]).read_text())
    assert r["reset_root"] == "global" and r["nextpnr_files"]["log"] == "nextpnr_s1.log"
    assert r["reset_root_bel"] == fpga.RESET_ROOT_BEL[fpga.BOARDS[BOARD].device]
    assert re.search(r"routing clock net rst_n using global \d+", log), \
        [ln for ln in log.splitlines() if "global" in ln]
    reset = [n for n in data["detailed_net_timings"] if n["net"] == "rst_n"]
    assert len(reset) == 1 and reset[0]["driver"].endswith("u_rst_gbuf.u_dcca"), reset
    assert len(reset[0]["endpoints"]) >= 5   # the SoC's and the network's reset leaves
    assert not list(work.glob("*fabric_reset*")), "placed a second time without the DCCA"


@pytest.mark.slow
def test_flop_copies_survive_synthesis(flow):
    """Copies of a flop made for fan-out stay separate flops in the placed netlist: the
    digit-serial frozen block's restart flag, one per output channel.  (With `keep` on the
    variable Yosys merged equal flops into one; the copies' always_ff blocks carry it now.)"""
    _, out, _ = flow
    netlist = json.loads((out / "work" / "ulx3s_85f_top.json").read_text())
    nets = netlist["modules"]["ulx3s_85f_top"]["netnames"]
    copies = {name: net["bits"] for name, net in nets.items() if name.endswith(".first_q")}
    assert copies, "the flow test's net has no digit-serial frozen block"
    for name, bits in copies.items():
        assert len(bits) >= 2 and len(set(bits)) == len(bits), (name, bits)


def _gbuf_netlist() -> dict:
    """A flat yosys netlist with the board top's reset synchroniser, its DCCA and two reset
    leaves (bits 10: synchroniser out, 11: DCCA out)."""
    ff = {"Q": "output", "DI": "input", "CLK": "input"}
    cells = {
        "u_reset_sync.q": {"type": "TRELLIS_FF", "port_directions": ff, "attributes": {},
                           "connections": {"Q": [10], "CLK": [2]}},
        "u_rst_gbuf.u_dcca": {"type": "DCCA", "port_directions": {"CLKI": "input", "CE": "input", "CLKO": "output"},
                              "attributes": {}, "connections": {"CLKI": [10], "CE": ["1"], "CLKO": [11]}},
        "u_design.leaf0": {"type": "TRELLIS_FF", "port_directions": ff, "attributes": {},
                           "connections": {"DI": [11], "CLK": [2]}},
        "u_design.leaf1": {"type": "TRELLIS_FF", "port_directions": ff, "attributes": {},
                           "connections": {"DI": [11], "CLK": [2], "Q": [12]}},
    }
    netnames = {"rst_n_sync": {"bits": [10]}, "rst_n": {"bits": [11]}, "clk": {"bits": [2]}}
    return {"modules": {"top": {"ports": {"led": {"bits": [12]}}, "cells": cells, "netnames": netnames}}}


def test_fabric_reset_fallback_netlist():
    """The fallback netlist: the DCCA is gone, everything it drove reads the synchroniser,
    nothing else changes; the failure that triggers it is recognised only on the arc into
    the DCCA."""
    nl = _gbuf_netlist()
    fab = fpga.fabric_reset_netlist(nl, "top")
    cells = fab["modules"]["top"]["cells"]
    assert "u_rst_gbuf.u_dcca" not in cells and len(cells) == 3
    assert cells["u_design.leaf0"]["connections"]["DI"] == [10] == cells["u_design.leaf1"]["connections"]["DI"]
    assert fab["modules"]["top"]["netnames"]["rst_n"]["bits"] == [10]
    assert "u_rst_gbuf.u_dcca" in nl["modules"]["top"]["cells"]    # the input is not modified
    err = "Info: Running router2...\nERROR: Failed to route arc 0.0 of net '{}', from X65/Y2/Q5_SLICE to X0/Y0/G_CLKI_TDCC0.\n"
    assert fpga.reset_gbuf_unroutable(err.format("rst_n_sync"), nl, "top")
    assert not fpga.reset_gbuf_unroutable(err.format("rst_n"), nl, "top")
    assert not fpga.reset_gbuf_unroutable(err.format("clk"), nl, "top")
    assert not fpga.reset_gbuf_unroutable("ERROR: Max frequency not met\n", nl, "top")
    assert not fpga.reset_gbuf_unroutable(err.format("rst_n_sync"), fab, "top")
    with pytest.raises(ValueError):
        fpga.fabric_reset_netlist(fab, "top")
    # the pinned synchroniser is let go in the fallback (its sinks are all over the die)
    assert fpga.pin_reset_root(nl, "top", "X1/Y2/SLICEA.FF0") == "u_reset_sync.q"
    assert nl["modules"]["top"]["cells"]["u_reset_sync.q"]["attributes"]["BEL"] == "X1/Y2/SLICEA.FF0"
    assert "BEL" not in fpga.fabric_reset_netlist(nl, "top")["modules"]["top"]["cells"]["u_reset_sync.q"]["attributes"]
    assert fpga.pin_reset_root(fab, "top", "X1/Y2/SLICEA.FF0") is None


def test_pin_reset_root_rejects_other_drivers():
    nl = _gbuf_netlist()
    cells = nl["modules"]["top"]["cells"]
    cells["u_reset_sync.q"]["type"] = "TRELLIS_COMB"
    with pytest.raises(fpga.ToolError, match="TRELLIS_COMB"):
        fpga.pin_reset_root(nl, "top", "X1/Y2/SLICEA.FF0")
    del cells["u_reset_sync.q"]
    with pytest.raises(fpga.ToolError, match="driven by nothing"):
        fpga.pin_reset_root(nl, "top", "X1/Y2/SLICEA.FF0")


RESET_PROBE = """module probe (input wire clk, input wire a, input wire [3:0] d, output reg [3:0] q);
  reg s0, s1;
  wire g;
  always @(posedge clk) begin s0 <= a; s1 <= s0; end
  sf_ecp5_gbuf u_rst_gbuf (.i(s1), .o(g));
  always @(posedge clk) q <= g ? d : 4'b0;
endmodule
"""


@pytest.fixture(scope="module")
def reset_probe(tmp_path_factory):
    """A flop driving the board top's DCCA wrapper, which drives flop inputs: the reset root
    in miniature, synthesised once (flat yosys JSON)."""
    work = tmp_path_factory.mktemp("reset_probe")
    (work / "probe.v").write_text(RESET_PROBE)
    # yowasp's WebAssembly yosys sees the working folder only (as the flow's work/ copy)
    (work / fpga.GBUF_WRAPPER.name).write_text(fpga.GBUF_WRAPPER.read_text())
    proc = subprocess.run([fpga.yowasp("yosys"), "-q", "-p",
                           f"read_verilog {fpga.GBUF_WRAPPER.name} probe.v; synth_ecp5 -top probe; "
                           "flatten; write_json probe.json"],
                          cwd=work, env=tool_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return work


@pytest.mark.parametrize("device", sorted(fpga.RESET_ROOT_BEL))
def test_reset_root_bel_routes(reset_probe, device):
    """With the synchroniser on RESET_ROOT_BEL, nextpnr (router2, as the flow runs it) puts
    the DCCA on a DCC beside it and routes into it on every ULX3S device."""
    board = next(b for b in fpga.BOARDS.values() if b.device == device)
    netlist = json.loads((reset_probe / "probe.json").read_text())
    bel = fpga.RESET_ROOT_BEL[device]
    ff = fpga.pin_reset_root(netlist, "probe", bel)
    src = reset_probe / f"{device}.json"
    src.write_text(json.dumps(netlist))
    placed = reset_probe / f"{device}_placed.json"
    proc = subprocess.run([fpga.yowasp("nextpnr-ecp5"), board.nextpnr_device, "--package", board.package,
                           "--json", src.name, "--write", placed.name, "--router", "router2",
                           "--lpf-allow-unconstrained", "-q", "--log", f"{device}.log"],
                          cwd=reset_probe, env=tool_env(), capture_output=True, text=True)
    assert proc.returncode == 0, (reset_probe / f"{device}.log").read_text()[-2000:]
    cells = json.loads(placed.read_text())["modules"]["top"]["cells"]   # nextpnr names it top
    assert cells[ff]["attributes"]["NEXTPNR_BEL"] == bel
    dcc = cells[fpga.RESET_GBUF]["attributes"]["NEXTPNR_BEL"]
    x, y = (int(v[1:]) for v in bel.split("/")[:2])
    dx, dy = (int(v[1:]) for v in dcc.split("/")[:2])
    assert "DCC" in dcc and abs(dx - x) + abs(dy - y) <= 3, (bel, dcc)


@pytest.mark.slow
def test_breakdown_separates_parts(flow):
    _, out, _ = flow
    r = json.loads((out / "report.json").read_text())
    assert set(r["breakdown"]) == set(fpga.CATEGORIES)
    # each part of the SoC is present and holds logic
    for cat in ("frozen", "trainable", "buffers", "host_link"):
        res = r["breakdown"][cat]
        assert res["lut4"] + res["ccu2c"] + res["ff"] > 0, f"{cat} empty"
    # one synthesis gives both the parts and the placed netlist; flattening then only
    # removes what no module boundary needs any more (register bits, LUT RAM words and
    # logic nothing reads: a few percent, depending on the random weights), never adds
    for key in fpga.RESOURCE_CELLS:
        parts = sum(r["breakdown"][c][key] for c in fpga.CATEGORIES)
        assert r[key] <= parts, (key, parts, r[key])
    # the per-module table adds up to the per-part table
    for cat in fpga.CATEGORIES:
        for key in fpga.RESOURCE_CELLS:
            total = sum(m[key] for m in r["modules"].values() if m["category"] == cat)
            assert total == r["breakdown"][cat][key], (cat, key)
    frozen_modules = [name for name, m in r["modules"].items() if m["category"] == "frozen"]
    assert {"fpgaci_frozen_b0", "fpgaci_frozen_b0_dot", "fpgaci_frozen_b1", "fpgaci_frozen_b1_dot"} \
        <= set(frozen_modules)
    assert "localparam int unsigned Digits  = 4;" in (out / "rtl" / "fpgaci_frozen_b1.sv").read_text()
    assert {"sf_hostlink", "sf_uart_axil", "sf_weight_mem", "sf_window", "sf_fifo"} <= set(r["modules"])


@pytest.mark.slow
def test_frozen_logic_has_no_multipliers(flow):
    _, out, _ = flow
    r = json.loads((out / "report.json").read_text())
    assert r["breakdown"]["frozen"]["mult18"] == 0
    for name, m in r["modules"].items():
        if m["category"] == "frozen":
            assert m["mult18"] == 0, name
    # and directly in the hierarchical netlist statistics yosys wrote
    stat = json.loads((out / "work" / "stat_hier.json").read_text())
    for name, entry in stat["modules"].items():
        if fpga.classify(name, "fpgaci") == "frozen":
            assert "MULT18X18D" not in entry.get("num_cells_by_type", {}), name


@pytest.mark.slow
def test_dsp_budget_moves_multipliers_to_luts(flow):
    _, out, _ = flow
    r = json.loads((out / "report.json").read_text())
    d = r["dsp_budget"]
    assert d["budget"] == DSP_BUDGET and d["mult18_needed"] > DSP_BUDGET, d
    assert d["mult18_needed"] - d["mult18_moved_to_luts"] <= DSP_BUDGET
    assert r["mult18"] == d["mult18_needed"] - d["mult18_moved_to_luts"] <= DSP_BUDGET, (r["mult18"], d)
    # the chosen instances hold no MULT18X18D in the netlist that was placed
    stat = json.loads((out / "work" / "stat_hier.json").read_text())
    top = r["top"]
    chosen = {name for name in stat["modules"] if fpga.instance_path(name, top) in d["lut_multiplier_instances"]}
    assert len(chosen) == len(d["lut_multiplier_instances"]) > 0, (chosen, d)
    for name in chosen:
        cells = stat["modules"][name]["num_cells_by_type"]
        assert "MULT18X18D" not in cells and cells.get("LUT4", 0) > 0, name


@pytest.mark.slow
@pytest.mark.parametrize("datapath_only", [False, True])
def test_frozen_blocks_out_of_context(tmp_path, datapath_only):
    """`semifreddo fpga --frozen-blocks` (make fpga-frozen): every frozen block placed and
    routed alone; the report lists each with its fmax, and frozen logic has no MULT18X18D."""
    seed = simulate.test_seed()
    print(f"test_frozen_blocks_out_of_context: weight seed {seed} (re-run with SF_SEED={seed})")
    net_path = write_small_net(tmp_path, seed)
    out = tmp_path / "out"
    status = cli.main(["fpga", "--frozen-blocks", "--net", str(net_path), "--out", str(out)]
                      + (["--datapath-only", "--blocks", "1"] if datapath_only else []))
    r = json.loads((out / "frozen_fmax.json").read_text())
    net = load_description(net_path)
    assert r["target_mhz"] == fpga.FROZEN_TARGET_MHZ and r["register_fanout"] == net.register_fanout
    if datapath_only:
        assert [b["block"] for b in r["blocks"]] == [net.frozen[1].name]
        assert "whole_block" not in r["blocks"][0] and r["fmax_mhz"] == r["datapath_fmax_mhz"]
        assert status == (0 if r["timing_met"] else 1)
        return
    assert [b["block"] for b in r["blocks"]] == [s.name for s in net.frozen]
    for b in r["blocks"]:
        for part in ("datapath", "whole_block"):
            p = b[part]
            assert p["fmax_mhz"] > 0 and p["timing_met"] == (p["fmax_mhz"] >= r["target_mhz"]), (part, p)
            assert p["resources"]["mult18"] == 0 and p["resources"]["ff"] > 0, (part, p)
        assert b["datapath"]["resources"]["ebr"] == 0, b
        assert b["timing_met"] == b["whole_block"]["timing_met"]
    assert r["fmax_mhz"] == min(b["whole_block"]["fmax_mhz"] for b in r["blocks"])
    assert r["datapath_fmax_mhz"] == min(b["datapath"]["fmax_mhz"] for b in r["blocks"])
    assert status == (0 if r["timing_met"] else 1)
    assert (out / "frozen_fmax.md").read_text().startswith("# Frozen blocks of fpgaci")


@pytest.mark.slow
def test_out_of_context_time_limit(tmp_path):
    """A part nextpnr does not route within the time limit is reported as not routed
    (fmax 0, timing not met), with its synthesis figures, instead of holding the flow."""
    from semifreddo import rtlgen
    seed = simulate.test_seed()
    net = load_description(write_small_net(tmp_path, seed))
    design = rtlgen.frozen_core(net, weights.load_frozen(net), tmp_path / "rtl")
    blk = design.blocks[0]
    r = fpga.module_fmax(blk.files[1:], f"{blk.module}_dot", tmp_path / "ooc", timeout=0.01)
    assert r["routed"] is False and r["fmax_mhz"] == 0.0 and r["timing_met"] is False, r
    assert r["resources"]["ccu2c"] > 0 and r["resources"]["mult18"] == 0, r
    assert "killed after" in (tmp_path / "ooc" / "ooc_nextpnr.out").read_text()
    assert fpga.fmax_text(r).startswith("not routed in")


@pytest.mark.slow
def test_generated_rtl_lints(flow):
    """The generated SoC (host link, split, network, stream bridge) lints clean."""
    _, out, _ = flow
    rtl = out / "rtl"
    top = "fpgaci_soc"
    srcs = fpga.library_closure([p for p in rtl.glob("*.sv") if p.stem != "sf_board_pll"
                                 and not p.stem.startswith("ulx3s")])    # not the board top
    res = lint(sorted(rtl.glob("*.vlt")) + srcs, top)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr[-3000:]


# -------------------------------------------------------------------------------------
# Fast checks (no synthesis)
# -------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv,option", [
    (["fpga", "--board", "ulx3s-99f"], "--board"),
    (["fpga", "--mhz", "40"], "--mhz"),
    (["fpga", "--mhz", "nan"], "--mhz"),
    (["fpga", "--seeds", "0"], "--seeds"),
    (["fpga", "--jobs", "0"], "--jobs"),
    (["fpga", "--dsp-budget", "-1"], "--dsp-budget"),
    (["fpga", "--router", "router3"], "--router"),
    (["fpga", "--placer", "sa2"], "--placer"),
    (["fpga", "--timing-weight", "0"], "--timing-weight"),
    (["fpga", "--frozen-blocks", "--ooc-timeout", "0"], "--ooc-timeout"),
    (["fpga", "--frozen-blocks", "--blocks", "3"], "--blocks"),
    (["prog", "--board", "icebreaker", "--dry-run"], "--board"),
])
def test_bad_option_one_line_exit_2(argv, option, capsys, tmp_path):
    status = cli.main(argv + ["--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert len(err.splitlines()) == 1 and err.startswith(f"semifreddo: error: {option}:"), err
    assert not any(tmp_path.iterdir()), "wrote files for bad input"


@pytest.mark.parametrize("target,variables", [
    ("fpga", []),
    ("fpga", ["SEEDS=3", "JOBS=2", "MHZ=120", "BOARD=ulx3s-25f", "PLACER=heap", "DSP_BUDGET=4",
              "TIMING_WEIGHT=2"]),
    ("fpga-frozen", ["BLOCKS=0,1", "DATAPATH_ONLY=1", "OOC_TIMEOUT=60", "MHZ=150"]),
    ("prog", ["FLASH=1"]),
    ("sim", ["WAVES=1", "CONFIG=random"]),
])
def test_make_target_command_parses(target, variables):
    """The command each Makefile target runs is one the CLI accepts (``make -n``): a
    variable shared by two targets (JOBS: pytest workers, nextpnr runs) once made plain
    ``make fpga`` pass ``--jobs auto``."""
    import shlex
    import subprocess

    root = Path(__file__).resolve().parents[1]
    res = subprocess.run(["make", "-n", "-C", str(root), target, *variables],
                         capture_output=True, text=True, check=True)
    lines = [ln for ln in res.stdout.splitlines() if ln.split(" ", 1)[0].endswith("/semifreddo")]
    assert len(lines) == 1, res.stdout
    argv = shlex.split(lines[0])[1:]
    args = cli.build_parser().parse_args(argv)
    assert args.command == target.removesuffix("-frozen")
    assert args.command != "fpga" or args.frozen_blocks == (target == "fpga-frozen")


HISTOGRAM = """Info: Max frequency for clock '$glbnet$clk': 70.96 MHz (FAIL at 100.00 MHz)

Info: Slack histogram:
Info:  legend: * represents 195 endpoint(s)
Info:          + represents [1,195) endpoint(s)
Info: [ -4092,  -3428) |+
Info: [ -3428,  -2764) | 
Info: [ -2764,  -2100) |*+
Info: [  -772,   -108) |**
Info: [  -108,    556) |****+
Info: [   556,   1220) |*****+

Info: Program finished normally.
"""


@pytest.mark.parametrize("text, expected", [
    (HISTOGRAM, {"at_least": 1 + 0 + 196 + 390, "at_most": 194 + 0 + 389 + 390 + 974}),
    (HISTOGRAM.replace("-4092,  -3428", "  100,    200").replace("-3428,  -2764", "  200,    300")
     .replace("-2764,  -2100", "  300,    400").replace("-772,   -108", "  400,    500")
     .replace("-108,    556", "  500,    556"), {"at_least": 0, "at_most": 0}),
    ("Info: Program finished normally.\n", None),
])
def test_failing_endpoints_from_histogram(text, expected):
    """Bins wholly below 0 ps count towards both bounds, the bin across 0 only towards the
    upper one; a trailing + is 1 .. unit-1 endpoints; no histogram, no count."""
    assert fpga.failing_endpoints(text) == expected


def test_classify_by_module_name():
    c = lambda m: fpga.classify(m, "net")  # noqa: E731
    assert c("net_frozen_core") == c("net_frozen_b3_dot$top.u.u_dot") == "frozen"
    assert c("sf_tconv") == c("net_regs$top.u_regs") == c("net_regblock") == c("sf_weight_mem") == "trainable"
    assert c("$paramod$1f2e\\sf_fifo") == c("sf_window$top.x") == c("sf_repeat") == "buffers"
    assert c("sf_hostlink") == c("sf_uart_rx") == c("sf_axil_stream$top.u") == "host_link"
    assert c("net_soc") == c("sf_reset_sync") == c("other_frozen_b0") == "board_and_glue"


def test_multiplier_count_from_rtlil():
    rtlil = "\n".join([
        "module \\sf_tconv$top.u_a", "  cell $mul $1", "    parameter \\A_WIDTH 9",
        "    parameter \\B_WIDTH 8", "    parameter \\Y_WIDTH 17", "  end",
        "  cell $mul $2", "    parameter \\A_WIDTH 20", "    parameter \\B_WIDTH 18", "  end",
        "  cell $add $3", "    parameter \\A_WIDTH 40", "    parameter \\B_WIDTH 40", "  end", "end",
        "module \\top", "  cell $mul $4", "    parameter \\A_WIDTH 1", "    parameter \\B_WIDTH 8", "  end", "end"])
    assert fpga.module_mult18(rtlil) == {"\\sf_tconv$top.u_a": 1 + 2, "\\top": 0}
    assert fpga.mult18_of(18, 18) == 1 and fpga.mult18_of(35, 18) == 2 and fpga.mult18_of(36, 36) == 9


@pytest.mark.parametrize("per_module,budget,expected", [
    ({"a": 27, "b": 27, "c": 36, "d": 4}, 100, []),
    ({"a": 27, "b": 27, "c": 36, "d": 4}, 60, ["c"]),             # excess 34: 36 is the least above it
    ({"a": 27, "b": 27, "c": 36, "d": 4}, 40, ["a", "b"]),        # excess 54: 27 + 27 (c + d = 40 is short)
    ({"a": 30, "b": 5, "c": 4}, 35, ["c"]),                       # excess 4: not the big one
    ({"a": 30, "b": 28, "c": 4, "d": 3}, 28, ["a", "c", "d"]),   # excess 37: exactly 30 + 4 + 3
    ({"a": 3, "b": 3}, 0, ["a", "b"]),
])
def test_choose_lut_multipliers(per_module, budget, expected):
    chosen = fpga.choose_lut_multipliers(per_module, budget)
    assert chosen == expected
    assert sum(v for k, v in per_module.items() if k not in chosen) <= budget


def test_late_endpoints():
    """Late = latest arrival after the period of the endpoint's clock; counted per part (the
    cell's innermost known instance) and per block; endpoints of unconstrained clocks and
    cells outside any instance are not late / board glue."""
    data = {"fmax": {"clk": {"achieved": 80.0, "constraint": 100.0}},
            "detailed_net_timings": [
                {"net": "n1", "endpoints": [
                    {"cell": "u_design.u_net.u_frozen_b1.u_dot.x_q", "event": "posedge clk", "delay": [1.0, 10.5]},
                    {"cell": "u_design.u_net.u_frozen_b1.y_q", "event": "posedge clk", "delay": [1.0, 9.9]},
                    {"cell": "u_design.u_net.u_a_b0.gen_g[0].u_mul.p_q", "event": "posedge clk", "delay": [2.0, 12.0]},
                    {"cell": "u_design.u_net.u_a_b0.s_q", "event": "posedge clk", "delay": [10.1, 10.2]},
                    {"cell": "rst_q", "event": "posedge clk", "delay": [0.5, 11.0]},
                    {"cell": "u_design.u_net.u_a_b0.t_q", "event": "posedge other", "delay": [0.5, 50.0]}]}]}
    modules = {"u_design.u_net.u_frozen_b1": "net_frozen_b1", "u_design.u_net.u_frozen_b1.u_dot": "net_frozen_b1_dot",
               "u_design.u_net.u_a_b0": "sf_tconv", "u_design.u_net.u_a_b0.gen_g[0].u_mul": "sf_mul",
               "u_design": "net_soc"}
    late = fpga.late_endpoints(data, modules, "net")
    assert (late["count"], late["endpoints"]) == (4, 6)
    assert late["by_part"] == {"frozen": 1, "trainable": 2, "buffers": 0, "host_link": 0, "board_and_glue": 1}
    assert late["blocks"] == [{"block": "u_design.u_net.u_a_b0", "late": 2, "worst_ns": 12.0},
                              {"block": "(top)", "late": 1, "worst_ns": 11.0},
                              {"block": "u_design.u_net.u_frozen_b1", "late": 1, "worst_ns": 10.5}]


def test_instance_path():
    assert fpga.instance_path("\\sf_tconv$ulx3s_85f_top.u_design.u_net.u_a_b0", "ulx3s_85f_top") == \
        "u_design.u_net.u_a_b0"
    stat = {"modules": {"\\top": {}, "\\sf_fifo$top.u_a.gen_x[1].u_f": {}, "$paramod$ab\\sf_mul$top.u_m": {}}}
    assert fpga.instance_modules(stat, "top") == {"u_a.gen_x[1].u_f": "sf_fifo"}


def test_breakdown_counts_instances():
    """A module instantiated n times (directly or through its parents) counts n times."""
    stat = {"modules": {
        "top": {"num_cells_by_type": {"LUT4": 1, "mid": 2}},
        "mid": {"num_cells_by_type": {"$paramod\\sf_fifo\\Width=8": 3, "TRELLIS_FF": 5}},
        "$paramod\\sf_fifo\\Width=8": {"num_cells_by_type": {"DP16KD": 1, "LUT4": 7}},
    }}
    b = fpga.breakdown(stat, "top", "net")
    assert b["modules"]["sf_fifo"]["instances"] == 6
    assert b["modules"]["sf_fifo"]["ebr"] == 6 and b["modules"]["sf_fifo"]["lut4"] == 42
    assert b["modules"]["mid"]["ff"] == 10
    assert b["categories"]["buffers"]["ebr"] == 6
    assert b["categories"]["board_and_glue"]["lut4"] == 1


def test_prog_dry_run(tmp_path, capsys):
    bit = tmp_path / "x.bit"
    bit.write_bytes(b"\xff\x00")
    assert cli.main(["prog", "--board", "ulx3s-45f", "--bit", str(bit), "--dry-run"]) == 0
    cmd = capsys.readouterr().out.split()
    assert cmd[1:] == ["-b", "ulx3s", str(bit)] and Path(cmd[0]).name == "openFPGALoader"


@pytest.mark.slow
@pytest.mark.parametrize("registered", [True, False], ids=["registered", "inferred"])
def test_dsp_registers_out_of_context(tmp_path, registered):
    """sf_blend (4 channels: 4 sf_mul) through yosys and nextpnr: with SF_ECP5_DSP each
    multiplier is a MULT18X18D whose input and output registers are on (so no timing path
    runs through its multiply); without it Yosys infers them with every register off."""
    r = fpga.module_fmax([RTL_DIR / "sf_blend.sv"], "sf_blend", tmp_path, mhz=150,
                         registered_dsps=registered)
    netlist = json.loads((tmp_path / "ooc.json").read_text())
    dsps = {name: cell for mod in netlist["modules"].values()
            for name, cell in mod.get("cells", {}).items() if cell["type"] == "MULT18X18D"}
    assert len(dsps) == 4 == r["resources"]["mult18"], sorted(dsps)
    want = "CLK0" if registered else "NONE"
    for name, cell in dsps.items():
        for reg in ("REG_INPUTA_CLK", "REG_INPUTB_CLK", "REG_OUTPUT_CLK"):
            assert str(cell["parameters"].get(reg, "NONE")).strip() == want, (name, reg, cell["parameters"])
    assert r["routed"] and r["fmax_mhz"] > 0, r
    if registered:
        report = json.loads((tmp_path / "ooc_report.json").read_text())
        through = [step for path in report["critical_paths"] for step in path["path"]
                   if step["type"] == "logic" and step["from"]["cell"] in dsps]
        assert not through, through
