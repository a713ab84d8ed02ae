"""``semifreddo bench --quick``: the small CI version of ``make bench`` (so it cannot rot).

Runs every section on the shrunken network (2 channels per frozen block, 16x16 frames) and
checks that the report carries the figures and that they are computed (numbers, not
placeholders).  No figure is compared with a target: that is what the full bench reports.
"""

from __future__ import annotations

import json
import math

import pytest

from semifreddo import bench


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    report = bench.run(bench.REFERENCE, None, out, quick=True)
    return report, out


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@pytest.mark.slow
def test_quick_bench_report(quick_report):
    report, out = quick_report
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["quick"] is True
    for name in bench.SECTIONS:
        assert name in on_disk, name
    # Required keys.
    assert _number(on_disk["area"]["ratio_frozen_lut"]) and on_disk["area"]["ratio_frozen_lut"] > 0
    assert _number(on_disk["area"]["ratio_frozen_cmos"]) and on_disk["area"]["ratio_frozen_cmos"] > 0
    assert "fmax_mhz" in on_disk and (on_disk["fmax_mhz"] is None or _number(on_disk["fmax_mhz"]))
    assert _number(on_disk["pixels_per_clock"])
    suite = on_disk["frozen_layers"]["suite"]
    assert len(suite) == 2 * len(bench.SUITE_BITS) * len(bench.SUITE_DISTS)
    for name, fig in suite.items():
        assert isinstance(fig["adders_csd"], int) and fig["adders_csd"] > 0, name
        assert isinstance(fig["adders"], int) and fig["adders"] > 0, name
        assert _number(fig["depth"]) and _number(fig["depth_csd"]), name
    # Both toggle runs really ran the same frames, and both designs computed them correctly.
    power = on_disk["power"]
    for design in ("frozen", "twin"):
        assert power[design]["bit_exact"], design
        assert power[design]["toggles"] > 0
    assert power["frozen"]["pixels"] == power["twin"]["pixels"]
    for design in ("frozen", "twin"):
        assert on_disk["area"]["cmos"][design]["transistors"] > 0
        assert on_disk["area"]["ecp5"][design]["LUT4"] + on_disk["area"]["ecp5"][design]["CCU2C"] > 0
    area = on_disk["area"]
    for key in ("ratio_frozen_cmos_hier", "ratio_datapath_cmos", "ratio_frozen_cmos_sram",
                "ratio_frozen_cmos_sram_deep", "ratio_datapath_cmos_sram"):
        assert _number(area[key]) and area[key] > 0, key
    for design in ("frozen", "twin"):
        brk = area["cmos_breakdown"][design]
        assert brk["transistors"] == sum(p["transistors"] for p in brk["parts"].values()), design
        # The breakdown's synthesis keeps the hierarchy: it must still describe the flat design.
        assert abs(brk["hierarchical_over_flat"] - 1) < 0.1, design
        assert brk["parts"]["windows"]["ram_bits"] > 0 and brk["parts"]["datapath"]["transistors"] > 0, design
    assert area["cmos_breakdown"]["twin"]["parts"]["weight_storage"]["ram_bits"] > 0
    assert _number(on_disk["wall_seconds"])
    md = (out / "report.md").read_text()
    assert "ratio_frozen_lut" in md and "ratio_frozen_cmos" in md and "CMOS proxy by part" in md
    for png in ("adders_csd_vs_cmvm.png", "area_frozen_vs_twin.png"):
        assert (out / png).stat().st_size > 1000, png


def _stat(modules: dict[str, tuple[int, dict[str, int]]]) -> dict:
    """A hierarchical ``stat -json -tech cmos`` as yosys 0.70 writes it: per module its cells
    (submodules by name) and its transistors *including* its submodules'."""
    return {"modules": {f"\\{name}": {"num_cells_by_type": cells, "estimated_num_transistors": str(t)}
                        for name, (t, cells) in modules.items()}}


def _ram(words: int, width: int, rd: int, wr: int = 1) -> dict:
    return {"type": "$mem_v2", "parameters": {"SIZE": f"{words:032b}", "WIDTH": f"{width:032b}",
                                              "RD_PORTS": f"{rd:032b}", "WR_PORTS": f"{wr:032b}"}}


def test_cmos_breakdown_parts_and_memory_models(monkeypatch):
    """Own transistors by part (submodules subtracted), RAM arrays under both memory models."""
    top, fifo, wmem = "n_twin_core", "sf_fifo$n_twin_core.u_b0.u_smooth", "sf_weight_mem$n_twin_core.u_b0_weight"
    ram = f"_{bench.RAM_SUBMOD}"
    stat = _stat({
        fifo + ram: (400, {"$_DFF_P_": 25}),
        fifo: (500, {"$_AND_": 3, fifo + ram: 1}),
        wmem + ram: (800, {"$_DFF_P_": 50}),
        wmem: (850, {wmem + ram: 1}),
        top: (1360, {"$_OR_": 1, fifo: 1, wmem: 1}),
    })
    rams = {"modules": {fifo: {"cells": {"mem_q": _ram(64, 10, 1)}},
                        wmem: {"cells": {"l0": _ram(8, 4, 2), "l1": _ram(8, 4, 2)}}}}
    monkeypatch.setattr(bench, "yosys_run", lambda *a, **k: ({"stat.json": stat, "rams.json": rams}, 0.1))
    b = bench.cmos_breakdown([], top, "n")
    parts = b["parts"]
    assert list(parts) == list(bench.CMOS_PARTS)
    assert b["transistors"] == 1360 == sum(p["transistors"] for p in parts.values())
    sm, ws = parts["smoothing_fifos"], parts["weight_storage"]
    assert (sm["transistors"], sm["ram_transistors"], sm["ram_bits"]) == (500, 400, 640)
    assert sm["cells"] == {"_AND_": 3, "_DFF_P_": 25}
    # 1 write + 1 read port: 8T cell + 50% periphery = 12 per bit; 2 reads + 1 write: 15 per bit.
    assert bench.sram_transistors(64, 10, 2) == 640 * 12
    assert sm["transistors_sram"] == sm["transistors_sram_deep"] == 100 + 640 * 12
    assert ws["transistors_sram"] == 50 + 64 * 15
    assert ws["transistors_sram_deep"] == 850          # 8 words: flip-flops below 32 words
    assert parts["glue"]["transistors"] == 10 and parts["windows"]["transistors"] == 0
    frozen = {"parts": {p: {bench.model_key(m): 0 for m in bench.MEMORY_MODELS} for p in bench.CMOS_PARTS}}
    for m in bench.MEMORY_MODELS:
        frozen["parts"]["datapath"][bench.model_key(m)] = 100
        frozen["parts"]["windows"][bench.model_key(m)] = 900
    r = bench.cmos_ratios(frozen, b)
    assert r["ratio_frozen_cmos_hier"] == 1.36 and r["ratio_datapath_cmos"] == 13.6
    assert r["ratio_frozen_cmos_sram"] == round(b["transistors_sram"] / 1000, 3)


def test_cmos_breakdown_rejects_shared_modules():
    stat = _stat({"a": (5, {"$_OR_": 1}), "top": (10, {"a": 2})})
    with pytest.raises(RuntimeError, match="more than once"):
        bench.own_cmos(stat)


@pytest.mark.parametrize("module, part", [
    ("n_frozen_core", "glue"), ("n_frozen_b1$n_frozen_core.u_b1", "datapath"),
    ("n_frozen_b1_dot$n_frozen_core.u_b1.u_dot", "datapath"), ("sf_window$n_frozen_core.u_b0.u_window", "windows"),
    ("sf_fifo$n_frozen_core.u_b0.u_fifo", "stream_fifos"), ("sf_tconv$n_twin_core.u_b2", "datapath"),
    ("sf_fifo$n_twin_core.u_b2.u_out", "stream_fifos"), ("sf_fifo$n_twin_core.u_b2.u_smooth", "smoothing_fifos"),
    ("sf_weight_mem$n_twin_core.u_b2_bias", "weight_storage")])
def test_cmos_part(module, part):
    top = module.split("$")[-1].split(".")[0]
    assert bench.cmos_part(module, top, "n") == part
