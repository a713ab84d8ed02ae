"""``semifreddo sim`` / ``make sim``: generate the whole network, simulate it on Verilator,
compare every output with the golden model, report.

Writes ``build/sim/report.json``, PNG images per input image (input, hardware output,
golden output, difference; class scores go into the report) and prints a one-screen
summary.  Exit status 1 on any mismatch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import BUILD_DIR, REPO_ROOT, golden, network, weights
from .fileio import write_text
from .netdesc import Network
from .simulate import run_cocotb
from .toolchain import lint
from .weights import Config, ConvWeights

SIM_DIR = BUILD_DIR / "sim"


def tile_channels(fmap: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    """(H, W, C) feature map → one grayscale mosaic (uint8), channels left to right."""
    h, w, c = fmap.shape
    cols = int(np.ceil(np.sqrt(c)))
    rows = -(-c // cols)
    lo = -(1 << (bits - 1)) if signed else 0
    scaled = ((fmap.astype(np.float64) - lo) * 255.0 / ((1 << bits) - 1)).clip(0, 255).astype(np.uint8)
    mosaic = np.zeros((rows * (h + 1), cols * (w + 1)), dtype=np.uint8)
    for k in range(c):
        r, q = divmod(k, cols)
        mosaic[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = scaled[..., k]
    return mosaic


def save_png(path: Path, pixels: np.ndarray, scale: int = 2) -> None:
    from PIL import Image

    img = Image.fromarray(pixels)
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    img.save(path)


def _image_png(image: np.ndarray, bits: int) -> np.ndarray:
    if bits == 8 and image.shape[2] in (1, 3):
        return image.astype(np.uint8) if image.shape[2] == 3 else image[..., 0].astype(np.uint8)
    return tile_channels(image, bits, False)


def simulate_network(net: Network, frozen: list[ConvWeights], cfg: Config, images: list[tuple[str, np.ndarray]],
                     *, waves: bool = False, seed: int = 1) -> int:
    """Simulate the whole network of *net* with weight set *cfg* on *images*
    (``(name, (H, W, C) array)``, streamed back to back); compare with the golden model."""
    if net.source is None:
        raise ValueError("simulate_network needs a description loaded from a file")
    SIM_DIR.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    design = network.generate(net, frozen, SIM_DIR / "rtl")
    gen_seconds = time.perf_counter() - t0
    proc = lint(design.vlt + design.sources, top=design.top)
    if proc.returncode:
        print(proc.stdout + proc.stderr)
        return 1

    stack = np.stack([img for _, img in images]).astype(np.int64)
    np.savez(SIM_DIR / "stimulus.npz", images=stack)
    weights.save_npz(SIM_DIR / "config.npz", weights.config_arrays(net, cfg))
    t0 = time.perf_counter()
    results = [golden.run(net, frozen, cfg, img) for _, img in images]
    golden_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    try:
        run_cocotb(toplevel=design.top, sources=design.sources, test_module="sim_network",
                   build_name=f"sim_{net.name}", seed=seed, waves=waves,
                   extra_env={"SF_SIM_IO": str(SIM_DIR), "SF_NET": str(Path(net.source).resolve())},
                   python_paths=[REPO_ROOT / "tb", REPO_ROOT / "tb" / "network", REPO_ROOT / "tb" / "sim"])
    except AssertionError as exc:   # the simulation itself failed (timeout, protocol error)
        print(f"simulation failed: {exc}")
        return 1
    sim_seconds = time.perf_counter() - t0
    with np.load(SIM_DIR / "hardware.npz", allow_pickle=True) as z:
        rec = {k: z[k] for k in z.files}

    mismatches = 0
    per_image = []
    for i, ((name, img), res) in enumerate(zip(images, results)):
        entry = {"image": name, "outputs": {}}
        save_png(SIM_DIR / f"{i}_{name}_input.png", _image_png(img, net.input_bits))
        for o in design.outputs:
            sl = slice(i * o.beats, (i + 1) * o.beats)
            got = list(zip((int(v) for v in rec[f"{o.core}_data"][sl]), (int(v) for v in rec[f"{o.core}_user"][sl]),
                           (int(v) for v in rec[f"{o.core}_last"][sl])))
            want_vals = o.values(res)
            want = o.beats_of(want_vals)
            bad = sum(g != w for g, w in zip(got, want)) + abs(len(got) - len(want))
            mismatches += bad
            hw_vals = o.decode([g[0] for g in got]) if len(got) == len(want) else np.zeros_like(want_vals)
            out = {"kind": o.kind, "mismatched_beats": bad}
            if o.kind == "scores":
                out["hardware"] = hw_vals.reshape(-1).tolist()
                out["golden"] = want_vals.reshape(-1).tolist()
                out["class"] = int(np.argmax(hw_vals.reshape(-1)))
            else:
                stem = SIM_DIR / f"{i}_{name}_{o.core}"
                save_png(Path(f"{stem}_hardware.png"), tile_channels(hw_vals, o.bits, o.signed))
                save_png(Path(f"{stem}_golden.png"), tile_channels(want_vals, o.bits, o.signed))
                diff = (hw_vals != want_vals).any(axis=2)
                save_png(Path(f"{stem}_difference.png"), (diff * 255).astype(np.uint8))
            entry["outputs"][o.core] = out
        per_image.append(entry)

    acc = rec["accept_cycles"]
    px = net.input_width * net.input_height
    last_out = max(int(rec[f"{o.core}_cycles"][-1]) for o in design.outputs)
    report = {
        "network": net.name, "build_id": f"{net.build_id:016x}", "images": [n for n, _ in images],
        "compared": "every beat (data and markers) of every output stream: "
                    + ", ".join(f"{o.port} ({o.kind})" for o in design.outputs),
        "bit_exact": mismatches == 0 and not rec["frame_err"], "mismatches": mismatches,
        "frame_err": bool(rec["frame_err"]), "repeats": cfg.repeats, "shuffle": cfg.shuffle,
        "cycles": last_out, "input_pixels": px * len(images),
        "pixels_per_clock": (len(acc) - 1) / max(1, int(acc[-1]) - int(acc[0])),
        "latency_cycles": int(min(int(rec[f"{o.core}_cycles"][o.beats - 1]) for o in design.outputs) - int(acc[0])),
        "sim_seconds": sim_seconds,
        "sim_pixels_per_second": px * len(images) / float(rec["stream_seconds"]),
        "sim_seconds_per_frame": float(rec["stream_seconds"]) / len(images),
        "golden_pixels_per_second": px * len(images) / golden_seconds,
        "golden_seconds": golden_seconds, "generate_seconds": gen_seconds,
        "tail_rate_divisor": cfg.repeats,
        "throughput_note": (f"the repeated tail runs R = {cfg.repeats} passes per frame: the input accepts a new "
                            f"frame every R frame times (1/R of the pixel rate) while R > 1"
                            if net.repeat else "no repeatable tail"),
        "time_sharing": network.time_sharing(net),
        "per_image": per_image,
        "frozen_blocks": [b.report for b in design.blocks],
    }
    write_text(SIM_DIR / "report.json", json.dumps(report, indent=2) + "\n")
    _summary(report)
    return 0 if report["bit_exact"] else 1


def _summary(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"make sim: {report['network']} (build ID {report['build_id']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("images", "bit_exact", "mismatches", "repeats", "shuffle", "cycles", "input_pixels",
                "pixels_per_clock", "latency_cycles", "sim_seconds", "sim_pixels_per_second", "sim_seconds_per_frame",
                "golden_pixels_per_second", "generate_seconds"):
        v = report[key]
        table.add_row(key, f"{v:.4g}" if isinstance(v, float) else str(v))
    for entry in report["per_image"]:
        for core, out in entry["outputs"].items():
            if out["kind"] == "scores":
                table.add_row(f"{entry['image']}: {core} scores", f"{out['hardware']} -> class {out['class']}")
    console = Console()
    console.print(table)
    console.print(f"report: {SIM_DIR / 'report.json'}; images: <n>_<image>_input.png and "
                  f"<n>_<image>_<core>_{{hardware,golden,difference}}.png in {SIM_DIR}")
