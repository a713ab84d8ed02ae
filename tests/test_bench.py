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
    assert _number(on_disk["wall_seconds"])
    md = (out / "report.md").read_text()
    assert "ratio_frozen_lut" in md and "ratio_frozen_cmos" in md
    for png in ("adders_csd_vs_cmvm.png", "area_frozen_vs_twin.png"):
        assert (out / png).stat().st_size > 1000, png
