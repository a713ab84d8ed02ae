"""``make bench``: measured figures, written to build/bench/report.json and report.md.

Each section is a function returning a dict of figures; :func:`run` collects them.  No
figure here is asserted: tests assert correctness, benchmarks measure.
"""

from __future__ import annotations

import copy
import json
import platform
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import BUILD_DIR, golden, weights
from .netdesc import Network, load_description, parse_description

REFERENCE = Path("weights/reference.yaml")


def _resized(net: Network, width: int, height: int) -> Network:
    """The same network for another frame size (figures at standard resolutions)."""
    d = copy.deepcopy(net.canonical)
    d["input"].update(width=width, height=height)
    d["max_line_width"] = max(d["max_line_width"], width)
    return parse_description(d, base_dir=net.frozen_weights.parent if net.frozen_weights else None,
                             verify_weights=False)


def bench_golden(net: Network, repeats: int = 5) -> dict[str, Any]:
    """Golden-model speed on a 256x256 frame of the reference network, at R=1 and R=Rmax."""
    big = _resized(net, 256, 256)
    rng = np.random.default_rng(0)
    frozen = weights.load_frozen(net)
    cfg = weights.random_config(big, rng)
    image = rng.integers(0, 1 << big.input_bits, size=(256, 256, big.input_channels))
    out: dict[str, Any] = {"frame": "256x256"}
    for label, r in (("r1", 1), ("rmax", big.max_repeats)):
        cfg.repeats = r
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            golden.run(big, frozen, cfg, image)
            times.append(time.perf_counter() - t0)
        out[f"seconds_{label}"] = min(times)
        out[f"pixels_per_second_{label}"] = 256 * 256 / min(times)
    return out


def bench_frozen_layers(net: Network) -> dict[str, Any]:
    """Shift-add cost of frozen layers: the 3x3 reference layers (16 and 32 channels,
    8-bit Gaussian weights) and the network's own frozen blocks, each next to the
    per-weight CSD tree; synth_ecp5 cell counts for the 16-channel layer."""
    from .shiftadd.measure import measure_layer, reference_layer, synth_comparison
    from .shiftadd.report import layer_report

    out: dict[str, Any] = {}
    levels = net.adder_levels_per_stage
    for channels in (16, 32):
        report, mod = measure_layer(channels, levels)
        if channels == 16:
            report["synth_ecp5_nodsp"] = synth_comparison(mod, reference_layer(channels), report["adder_bits"])
        out[report["layer"]] = report
    for n, (spec, cw) in enumerate(zip(net.frozen, weights.load_frozen(net))):
        wmat = golden.weight_matrix(cw.weight) * np.asarray(spec.requant.mult)[:, None]
        out[f"{net.name}_frozen_b{n}"] = layer_report(wmat, spec.in_bits, spec.in_signed, strategy=spec.strategy,
                                                      max_levels_per_stage=levels, name=spec.name)
    return out


SECTIONS: dict[str, Callable[[Network], dict[str, Any]]] = {
    "golden": bench_golden,
    "frozen_layers": bench_frozen_layers,
}


def run(net_path: Path = REFERENCE, sections: list[str] | None = None,
        out_dir: Path = BUILD_DIR / "bench") -> dict[str, Any]:
    net = load_description(net_path)
    report: dict[str, Any] = {"network": net.name, "machine": platform.machine(),
                              "python": platform.python_version()}
    for name in sections or list(SECTIONS):
        report[name] = SECTIONS[name](net)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "report.md").write_text(to_markdown(report))
    return report


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Benchmark report: {report['network']}", ""]
    for section, figures in report.items():
        if not isinstance(figures, dict):
            continue
        lines += [f"## {section}", "", "| figure | value |", "| --- | --- |"]
        for k, v in figures.items():
            if isinstance(v, float):
                v = f"{v:.4g}"
            elif isinstance(v, (dict, list)):
                v = "`" + json.dumps(v, separators=(", ", ": ")) + "`"
            lines.append(f"| {k} | {v} |")
        lines.append("")
    return "\n".join(lines)
